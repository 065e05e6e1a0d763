package dev.embedtune.train.hpo;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.GroupSplit;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.pipeline.FineTuneJob;
import dev.embedtune.train.trainer.NonFiniteLossException;
import dev.embedtune.train.trainer.StepOutcome;
import dev.embedtune.train.trainer.TrainerListener;
import dev.embedtune.train.trainer.TrainingArguments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@link Objective} that trains: each trial fine-tunes the base model with {@link FineTuneJob}
 * on the training part of a group-aware validation split ({@link GroupSplit#validation}) of the
 * train split, and is scored by retrieval on the validation part (queries: the validation anchors;
 * corpus: every positive of the train split; relevant: same group).
 *
 * <p>The trial's settings override the defaults: {@code learning_rate}, {@code lora_rank},
 * {@code lora_alpha}, {@code batch_size}, {@code epochs}, {@code loss} (a short name such as
 * {@code mnrl} or a class name such as {@code MultipleNegativesRankingLoss}), {@code matryoshka_dims}
 * and {@code base_model} (a directory or {@code builtin:NAME}). Other names in the space are an error,
 * so a misspelt hyperparameter is never silently not searched.
 *
 * <h2>Budget</h2>
 * <ul>
 *   <li>{@link Budget.Unit#STEPS}: every trial trains {@code budget.max} optimizer steps (the learning
 *       rate schedule spans them), and is evaluated and judged after {@code r} steps at each rung
 *       {@code r}. {@code epochs} may not also be searched or set: the budget decides the length.</li>
 *   <li>{@link Budget.Unit#EPOCHS}: every trial trains {@code budget.max} epochs and is judged after
 *       {@code ceil(r · steps per epoch)} steps at each rung of {@code r} epochs.</li>
 * </ul>
 * A trial that successive halving prunes stops at that rung; the rest are evaluated once more at the
 * end, which is their score. Nothing is checkpointed and no model is saved: each trial trains in a
 * temporary directory under the work directory, deleted when it ends.
 */
public final class TrainingObjective implements Objective {

    /** Hyperparameter names this objective reads. */
    public static final List<String> KNOWN = List.of(TrialSettings.LEARNING_RATE, TrialSettings.LORA_RANK,
            TrialSettings.LORA_ALPHA, TrialSettings.BATCH_SIZE, TrialSettings.EPOCHS, TrialSettings.LOSS,
            TrialSettings.MATRYOSHKA_DIMS, TrialSettings.BASE_MODEL);

    private final Dataset train;
    private final Dataset validation;
    private final Evaluator<?> evaluator;
    private final FineTuneJob.Settings defaults;
    private final TrainingArguments baseArgs;
    private final Path workDir;

    /**
     * @param trainSplit the examples of the train split, with groups; split again here into training
     *     and validation parts (about 1/{@code validationModulus} of the groups validate)
     * @param validationModulus 5 holds out about a fifth of the groups
     * @param defaults the settings a trial does not search (base model, quantisation, targets, loss, …)
     * @param baseArgs the trainer settings a trial does not search (seed, schedule, warm-up, …); the
     *     output directory, evaluation, checkpointing and the length are replaced per trial
     * @param evalDims Matryoshka dimensions to evaluate at (the same for every trial, so every trial
     *     reports the same metrics), or empty for the full embedding only
     * @param workDir where trials train (each in its own temporary directory)
     */
    public TrainingObjective(Dataset trainSplit, int validationModulus, FineTuneJob.Settings defaults, TrainingArguments baseArgs,
            List<Integer> evalDims, Path workDir) {
        GroupSplit.TrainTest parts = GroupSplit.validation(trainSplit, validationModulus);
        this.train = parts.train();
        this.validation = parts.test();
        RetrievalTask task = RetrievalTask.of(validation, trainSplit);
        InformationRetrievalEvaluator.Options options = InformationRetrievalEvaluator.Options.defaults();
        this.evaluator = evalDims == null || evalDims.isEmpty() ? InformationRetrievalEvaluator.of(task, options)
                : new MatryoshkaEvaluation(evalDims, name -> InformationRetrievalEvaluator.of(task, options.withName(name)));
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.baseArgs = Objects.requireNonNull(baseArgs, "baseArgs");
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
     * Checks a study against what this objective can run, before any trial starts.
     *
     * @throws IllegalArgumentException naming a hyperparameter this objective does not read, or
     *     {@code epochs} declared with a steps budget
     */
    public static void check(StudySpec spec) {
        for (String name : spec.space().dimensions().keySet()) {
            if (!KNOWN.contains(name)) {
                throw new IllegalArgumentException("the search space declares " + name + ", which the training objective does not"
                        + " read; it reads " + KNOWN);
            }
        }
        if (spec.budget().unit() == Budget.Unit.STEPS && spec.space().dimensions().containsKey(TrialSettings.EPOCHS)) {
            throw new IllegalArgumentException("the budget counts steps, so each trial trains budget.max = " + spec.budget().max()
                    + " steps and epochs has no effect; remove epochs from the space, or use budget unit epochs");
        }
    }

    @Override
    public TrialOutcome run(TrialSettings trial, Budget budget, Reporter reporter) throws Exception {
        for (String name : trial.values().keySet()) {
            if (!KNOWN.contains(name)) {
                throw new IllegalArgumentException("the training objective does not read " + name + "; it reads " + KNOWN);
            }
        }
        if (budget.unit() == Budget.Unit.STEPS && trial.has(TrialSettings.EPOCHS)) {
            throw new IllegalArgumentException("epochs cannot be set with a steps budget (each trial trains budget.max steps)");
        }
        if (budget.unit() == Budget.Unit.EPOCHS && trial.has(TrialSettings.EPOCHS) && trial.epochs() != budget.max()) {
            throw new IllegalArgumentException("epochs " + trial.epochs() + " differs from the budget's max of " + budget.max()
                    + " epochs, which is what each trial trains; drop epochs from the space or make them equal");
        }
        FineTuneJob.Settings settings = settingsFor(trial);
        Files.createDirectories(workDir);
        Path dir = Files.createTempDirectory(workDir, "trial-");
        try {
            TrainingArguments args = argumentsFor(trial, budget, dir);
            FineTuneJob job = FineTuneJob.prepare(settings, args);
            List<Long> rungSteps = rungSteps(budget, stepsPerEpoch(args));
            RungListener rungs = new RungListener(job, budget.rungs(), rungSteps, reporter);
            try {
                job.train(train, null, rungs, null);
            } catch (Pruned p) {
                return TrialOutcome.pruned("stopped at " + p.resource + " " + budget.unit().name().toLowerCase());
            } catch (NonFiniteLossException e) {
                return TrialOutcome.failed(e.getMessage());
            }
            return TrialOutcome.complete(evaluator.evaluate(job.model().encoder()));
        } finally {
            AtomicFiles.deleteTree(dir);
        }
    }

    /** The defaults with the trial's LoRA rank and alpha, loss, Matryoshka dims and base model. */
    FineTuneJob.Settings settingsFor(TrialSettings trial) throws IOException {
        FineTuneJob.Settings s = defaults;
        LoraConfig lora = s.lora();
        if (trial.has(TrialSettings.LORA_RANK) || trial.has(TrialSettings.LORA_ALPHA)) {
            int r = trial.has(TrialSettings.LORA_RANK) ? trial.loraRank() : lora.r();
            double alpha = trial.has(TrialSettings.LORA_ALPHA) ? trial.loraAlpha() : lora.alpha();
            s = s.withLora(new LoraConfig(r, alpha, lora.dropout(), lora.targetModules(), lora.useRslora(), lora.bias(),
                    lora.modulesToSave()));
        }
        if (trial.has(TrialSettings.LOSS)) {
            s = s.withLoss(trial.loss());
        }
        if (trial.has(TrialSettings.MATRYOSHKA_DIMS)) {
            s = s.withMatryoshkaDims(trial.matryoshkaDims());
        }
        if (trial.has(TrialSettings.BASE_MODEL)) {
            Path model = ModelCache.resolve(trial.baseModel());
            s = s.withBaseModel(model);
        }
        return s;
    }

    /** The base arguments with the trial's learning rate and batch size, the budget's length, no evaluation or checkpoints. */
    TrainingArguments argumentsFor(TrialSettings trial, Budget budget, Path outputDir) {
        TrainingArguments.Builder b = baseArgs.toBuilder().outputDir(outputDir).evalSteps(0).saveSteps(0)
                .loadBestModelAtEnd(false).disableTqdm(true);
        if (trial.has(TrialSettings.LEARNING_RATE)) {
            b.learningRate(trial.learningRate());
        }
        if (trial.has(TrialSettings.BATCH_SIZE)) {
            b.perDeviceTrainBatchSize(trial.batchSize());
        }
        if (budget.unit() == Budget.Unit.STEPS) {
            b.maxSteps(Math.toIntExact(budget.max()));
        } else {
            b.maxSteps(-1).numTrainEpochs(budget.max());
        }
        return b.build();
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
