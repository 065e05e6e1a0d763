package dev.embedtune.app.hpo;

import dev.embedtune.model.AtomicFiles;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.train.pipeline.RunSpec;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.GroupSplit;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.eval.EvaluatorKind;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.pipeline.FineTuneJob;
import dev.embedtune.train.pipeline.Pipeline;
import dev.embedtune.train.pipeline.PipelineData;
import dev.embedtune.train.trainer.NonFiniteLossException;
import dev.embedtune.train.trainer.StepOutcome;
import dev.embedtune.train.trainer.TrainerListener;
import dev.embedtune.train.trainer.TrainingArguments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The {@link Objective} that trains: each trial is the study's base {@link RunSpec} with the trial's
 * hyperparameters as overrides ({@link RunSpec#withOverrides}: a hyperparameter is a run-spec key,
 * {@code learning_rate}, {@code lora_r}, {@code per_device_train_batch_size},
 * {@code gradient_accumulation_steps}, {@code loss}, {@code matryoshka_dims}, {@code model}, …; the
 * old names {@code lora_rank}, {@code batch_size}, {@code epochs} and {@code base_model} read with a
 * warning). It fine-tunes on the training part of a group-aware validation split
 * ({@link GroupSplit#validation}) of the train split, and is scored by retrieval on the validation
 * part (queries: the validation anchors; corpus: every positive of the train split; relevant: same
 * group). A name that is no run-spec key, or one a trial decides itself ({@link #TRIAL_KEYS}), is an
 * error before any trial starts, so a misspelt hyperparameter is never silently not searched.
 *
 * <h2>Budget</h2>
 * <ul>
 *   <li>{@link Budget.Unit#STEPS}: every trial trains {@code budget.max} optimizer steps (the learning
 *       rate schedule spans them), and is evaluated and judged after {@code r} steps at each rung
 *       {@code r}. {@code num_train_epochs} may not also be searched or set: the budget decides the length.</li>
 *   <li>{@link Budget.Unit#EPOCHS}: every trial trains {@code budget.max} epochs and is judged after
 *       {@code ceil(r · steps per epoch)} steps at each rung of {@code r} epochs.</li>
 * </ul>
 * A trial that successive halving prunes stops at that rung (rungs evaluate the model being trained);
 * the rest are the {@link Pipeline} run into the trial's directory, whose fine-tuned evaluation (the
 * merged model, as a user loads it) is their score. Nothing is checkpointed: each trial trains in a
 * temporary directory under the work directory, deleted when it ends.
 */
public final class TrainingObjective implements Objective {

    /** Run-spec keys each trial sets itself, which a space may not search. */
    public static final List<String> TRIAL_KEYS = List.of("output_dir", "data", "columns", "train_split", "eval_split",
            "evaluator", "base_evaluation", "report", "overwrite_output_dir", "resume_from_checkpoint", "max_steps",
            "eval_strategy", "eval_steps", "save_strategy", "save_steps", "save_total_limit", "load_best_model_at_end",
            "metric_for_best_model", "greater_is_better", "disable_tqdm", "mining", "export_onnx");

    private final Dataset train;
    private final Dataset validation;
    private final Evaluator<?> evaluator;
    private final RunSpec base;
    private final Path workDir;

    /**
     * @param trainSplit the examples of the train split, with groups; split again here into training
     *     and validation parts (about 1/{@code validationModulus} of the groups validate)
     * @param validationModulus 5 holds out about a fifth of the groups
     * @param base what a trial does not search (base model, quantisation, targets, loss, seed, schedule,
     *     …); the output directory, evaluation, checkpointing and the length are replaced per trial
     * @param evalDims Matryoshka dimensions to evaluate at (the same for every trial, so every trial
     *     reports the same metrics), or empty for the full embedding only
     * @param workDir where trials train (each in its own temporary directory)
     */
    public TrainingObjective(Dataset trainSplit, int validationModulus, RunSpec base, List<Integer> evalDims, Path workDir) {
        GroupSplit.TrainTest parts = GroupSplit.validation(trainSplit, validationModulus);
        this.train = parts.train();
        this.validation = parts.test();
        RetrievalTask task = RetrievalTask.of(validation, trainSplit);
        InformationRetrievalEvaluator.Options options = InformationRetrievalEvaluator.Options.defaults();
        this.evaluator = evalDims == null || evalDims.isEmpty() ? InformationRetrievalEvaluator.of(task, options)
                : new MatryoshkaEvaluation(evalDims, name -> InformationRetrievalEvaluator.of(task, options.withName(name)));
        this.base = Objects.requireNonNull(base, "base");
        this.workDir = Objects.requireNonNull(workDir, "workDir");
    }

    /** The examples each trial trains on. */
    public Dataset trainingPart() {
        return train;
    }

    /** The examples each trial is scored on. */
    public Dataset validationPart() {
        return validation;
    }

    /**
     * Checks a study against what this objective can run, before any trial starts: every name is a
     * run-spec key (old names warn through {@code warnings}), none is a key a trial sets itself, the
     * length is not searched beside a steps budget, and one sampled trial reads as a run spec over
     * {@code base} (so a value of the wrong type fails here, not in a trial).
     *
     * @throws IllegalArgumentException naming the hyperparameter and what is wrong with it
     */
    public static void check(StudySpec spec, RunSpec base, Consumer<String> warnings) {
        for (String name : spec.space().dimensions().keySet()) {
            String key = RunSpec.ALIASES.getOrDefault(name, name);
            if (!RunSpec.KEYS.contains(key) && !TrainingArguments.KEYS.contains(key)) {
                throw new IllegalArgumentException("the search space declares " + name + ", which is not a run-spec key; searchable"
                        + " keys are those of `embedtune run --print-config` but " + TRIAL_KEYS);
            }
            if (TRIAL_KEYS.contains(key)) {
                throw new IllegalArgumentException("the search space declares " + name + ", which each trial sets itself; remove it"
                        + " (trials never set " + TRIAL_KEYS + " from the space)");
            }
            if (spec.budget().unit() == Budget.Unit.STEPS && key.equals("num_train_epochs")) {
                throw new IllegalArgumentException("the budget counts steps, so each trial trains budget.max = " + spec.budget().max()
                        + " steps and " + name + " has no effect; remove " + name + " from the space, or use budget unit epochs");
            }
        }
        TrialSettings sample = spec.space().sample(new java.util.SplittableRandom(spec.seed()));
        base.withOverrides(sample.toJson(), "the search space", warnings);
    }

    @Override
    public TrialOutcome run(TrialSettings trial, Budget budget, Reporter reporter) throws Exception {
        Files.createDirectories(workDir);
        Path dir = Files.createTempDirectory(workDir, "trial-");
        try {
            RunSpec spec = specFor(trial, budget, dir);
            List<Long> rungSteps = rungSteps(budget, stepsPerEpoch(spec.training()));
            Pipeline.Options options = new Pipeline.Options(new PipelineData(train.name(), train, evaluator, EvaluatorKind.RETRIEVAL, "validation retrieval"),
                    job -> new RungListener(job, budget.rungs(), rungSteps, reporter), null);
            try {
                return TrialOutcome.complete(Pipeline.run(spec, options, null).fineTuned());
            } catch (Pruned p) {
                return TrialOutcome.pruned("stopped at " + p.resource + " " + budget.unit().name().toLowerCase());
            } catch (NonFiniteLossException e) {
                return TrialOutcome.failed(e.getMessage());
            }
        } finally {
            AtomicFiles.deleteTree(dir);
        }
    }

    /**
     * The base spec with the trial's hyperparameters, then what every trial sets: its directory, the
     * budget's length, no evaluation, checkpoints or progress bar.
     */
    RunSpec specFor(TrialSettings trial, Budget budget, Path outputDir) {
        RunSpec spec = base.withOverrides(trial.toJson(), "trial " + trial, w -> { });
        if (budget.unit() == Budget.Unit.EPOCHS && spec.training().maxSteps() < 0 && trialSetsEpochs(trial)
                && spec.training().numTrainEpochs() != budget.max()) {
            throw new IllegalArgumentException("num_train_epochs " + spec.training().numTrainEpochs() + " differs from the budget's max of "
                    + budget.max() + " epochs, which is what each trial trains; drop it from the space or make them equal");
        }
        ObjectNode fixed = JsonNodeFactory.instance.objectNode();
        fixed.put("output_dir", outputDir.toString());
        fixed.put("eval_steps", 0).put("save_steps", 0).put("load_best_model_at_end", false).put("disable_tqdm", true);
        fixed.put("base_evaluation", false).put("report", false).putNull("resume_from_checkpoint").put("overwrite_output_dir", false)
                .put("export_onnx", false);
        if (budget.unit() == Budget.Unit.STEPS) {
            fixed.put("max_steps", Math.toIntExact(budget.max()));
        } else {
            fixed.put("max_steps", -1).put("num_train_epochs", (double) budget.max());
        }
        return spec.withOverrides(fixed, "trial " + trial, w -> { });
    }

    private static boolean trialSetsEpochs(TrialSettings trial) {
        return trial.values().keySet().stream().anyMatch(k -> RunSpec.ALIASES.getOrDefault(k, k).equals("num_train_epochs"));
    }

    /** Optimizer steps in one epoch of the training part, as the Trainer counts them. */
    int stepsPerEpoch(TrainingArguments args) {
        int microBatches = args.batchSampler().create(train, args.perDeviceTrainBatchSize(), args.seed(), args.dropLast())
                .batches(0).size();
        return Math.max(1, (microBatches + args.gradientAccumulationSteps() - 1) / args.gradientAccumulationSteps());
    }

    /** The optimizer step at which each rung is judged: the rung itself for steps, ceil(rung · steps per epoch) for epochs. */
    static List<Long> rungSteps(Budget budget, int stepsPerEpoch) {
        List<Long> steps = new ArrayList<>();
        for (long rung : budget.rungs()) {
            steps.add(budget.unit() == Budget.Unit.STEPS ? rung : Math.multiplyExact(rung, (long) stepsPerEpoch));
        }
        return steps;
    }

    /** Thrown from the listener to stop the trainer when successive halving prunes the trial. */
    private static final class Pruned extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long resource;

        Pruned(long resource) {
            super("pruned at " + resource, null, false, false);
            this.resource = resource;
        }
    }

    /** Evaluates at each rung's step and reports; throws {@link Pruned} on a PRUNE verdict. */
    private final class RungListener implements TrainerListener {
        private final FineTuneJob job;
        private final List<Long> rungs;
        private final List<Long> steps;
        private final Reporter reporter;
        private int next;

        RungListener(FineTuneJob job, List<Long> rungs, List<Long> steps, Reporter reporter) {
            this.job = job;
            this.rungs = rungs;
            this.steps = steps;
            this.reporter = reporter;
        }

        @Override
        public void onStepEnd(StepOutcome outcome) {
            while (next < steps.size() && steps.get(next) <= outcome.step()) {
                long rung = rungs.get(next++);
                EvaluationResult result = evaluator.evaluate(job.model().encoder());
                if (reporter.report(rung, result) == Reporter.Verdict.PRUNE) {
                    throw new Pruned(rung);
                }
            }
        }
    }

}
