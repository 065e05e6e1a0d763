package dev.embedtune.train.trainer;

import dev.embedtune.model.AtomicFiles;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.train.data.BatchSampler;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.loss.EmbeddingLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fine-tunes a {@link TrainableModel} the way sentence-transformers' {@code SentenceTransformerTrainer}
 * (Hugging Face's {@code Trainer}) does: batches from a seeded sampler, gradient accumulation, global
 * norm clipping, AdamW, a per-step learning-rate schedule, and every so many steps a log line, an
 * evaluation and a checkpoint.
 *
 * <p>Everything random is a pure function of {@code seed}: the batches of epoch {@code e} are
 * {@code sampler.batches(e)}, and each micro-batch's dropout seed is {@link #dropoutSeed}(seed, step,
 * micro-batch). A checkpoint therefore only needs the arrays, the counters and the data position, and
 * {@link #train(String)} from a checkpoint ends bit-identical to an uninterrupted run.
 *
 * <pre>{@code
 * TrainingArguments args = TrainingArguments.read(Path.of("train.yaml"));     // or TrainingArguments.builder(dir)…build()
 * Trainer trainer = new Trainer(model, trainSet, new MultipleNegativesRankingLoss(), args, evaluator, null);
 * TrainResult r = trainer.train();            // or train("latest") to continue after a crash
 * }</pre>
 *
 * <p>Per optimizer step: zero the gradients; for each of up to {@code gradient_accumulation_steps}
 * micro-batches call {@link TrainableModel#forwardBackward} with {@code lossScale = 1/accumulation};
 * clip by global norm; AdamW at the schedule's rate; then log, evaluate and checkpoint when due. A
 * loss or gradient norm that is not finite throws {@link NonFiniteLossException} before the update; a
 * collapsed run (zero gradients at a non-zero loss, or every text embedding alike at the end) throws
 * {@link TrainingCollapsedException} before {@code final/} is written ({@link CollapseCheck}).
 *
 * <p>Not thread-safe; one {@code train} call at a time.
 */
public final class Trainer {

    private final TrainableModel model;
    private final Dataset data;
    private final EmbeddingLoss loss;
    private final TrainingArguments args;
    private final Evaluator<?> evaluator;
    private final TrainerListener listener;
    private final int columnCount;
    private final boolean labelled;

    /**
     * @param model the model to train; its {@link TrainableModel#parameters()} are updated in place
     * @param data the training examples, all with the same number of text columns
     * @param loss the loss on the embeddings of each batch's columns
     * @param args the settings
     * @param evaluator run on {@link TrainableModel#encoder()} every {@code eval_steps}, or null
     * @param listener callbacks, or null
     * @throws IllegalArgumentException when the data is empty or mixed, the model's gradients do not
     *     match its parameters, or {@code eval_steps} is set without an evaluator
     */
    public Trainer(TrainableModel model, Dataset data, EmbeddingLoss loss, TrainingArguments args, Evaluator<?> evaluator,
            TrainerListener listener) {
        this.model = Objects.requireNonNull(model, "model");
        this.data = Objects.requireNonNull(data, "data");
        this.loss = Objects.requireNonNull(loss, "loss");
        this.args = Objects.requireNonNull(args, "args");
        this.evaluator = evaluator;
        this.listener = listener == null ? new TrainerListener() { } : listener;
        if (data.size() == 0) {
            throw new IllegalArgumentException("training dataset " + data.name() + " is empty");
        }
        Example first = data.get(0);
        columnCount = first.texts().size();
        labelled = first.label() != null;
        for (int i = 0; i < data.size(); i++) {
            Example e = data.get(i);
            if (e.texts().size() != columnCount || (e.label() != null) != labelled) {
                throw new IllegalArgumentException(data.name() + ": example " + i + " has " + e.texts().size() + " texts and "
                        + (e.label() == null ? "no label" : "a label") + ", but example 0 has " + columnCount + " texts and "
                        + (labelled ? "a label" : "no label") + "; a batch needs the same columns in every example");
            }
        }
        Map<String, INDArray> params = model.parameters();
        Map<String, INDArray> grads = model.gradients();
        if (params.isEmpty()) {
            throw new IllegalArgumentException("the model has no trainable parameters");
        }
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray g = grads.get(e.getKey());
            if (g == null || !Arrays.equals(g.shape(), e.getValue().shape()) || g.dataType() != e.getValue().dataType()) {
                throw new IllegalArgumentException("parameter " + e.getKey() + " " + Arrays.toString(e.getValue().shape()) + " "
                        + e.getValue().dataType() + ": expected a gradient buffer of the same shape and type, found "
                        + (g == null ? "none" : Arrays.toString(g.shape()) + " " + g.dataType()));
            }
        }
        // HF refuses an evaluation schedule without anything to evaluate; so do we, rather than skip it silently
        if (args.evalSteps() > 0 && evaluator == null) {
            throw new IllegalArgumentException("eval_steps is " + args.evalSteps() + " but no evaluator was given;"
                    + " pass one, or set eval_strategy: no");
        }
    }

    /** Without evaluator and listener. */
    public Trainer(TrainableModel model, Dataset data, EmbeddingLoss loss, TrainingArguments args) {
        this(model, data, loss, args, null, null);
    }

    /** Trains from scratch. */
    public TrainResult train() throws IOException {
        return train(null);
    }

    /**
     * Trains, from scratch or from a checkpoint.
     *
     * @param resumeFrom null to start fresh, {@code "latest"} for the newest complete checkpoint in
     *     {@code output_dir}, or a checkpoint directory
     * @throws NonFiniteLossException when a loss or gradient norm is NaN or infinite (nothing is updated or saved)
     * @throws TrainingCollapsedException when the run stopped learning (see {@link CollapseCheck}); final/ is not written
     */
    public TrainResult train(String resumeFrom) throws IOException {
        long startNanos = System.nanoTime();
        Path out = args.outputDir();
        Files.createDirectories(out);
        Checkpoints.deleteIncomplete(out);

        Map<String, INDArray> params = model.parameters();
        Map<String, INDArray> grads = model.gradients();
        BatchSampler sampler = args.batchSampler().create(data, args.perDeviceTrainBatchSize(), args.seed(), args.dropLast());
        int accumulation = args.gradientAccumulationSteps();
        int maxSteps = totalSteps(sampler);
        LearningRateSchedule schedule = new LearningRateSchedule(args.lrSchedulerType(), args.learningRate(),
                LearningRateSchedule.warmupSteps(args.warmupSteps(), args.warmupRatio(), maxSteps), maxSteps);
        int logEvery = TrainingArguments.resolveSteps(args.loggingSteps(), maxSteps);
        int evalEvery = TrainingArguments.resolveSteps(args.evalSteps(), maxSteps);
        int saveEvery = TrainingArguments.resolveSteps(args.saveSteps(), maxSteps);
        NativeGarbage nativeGarbage = new NativeGarbage();
        AdamW optimizer = new AdamW(params, args.adamBeta1(), args.adamBeta2(), args.adamEpsilon(), args.weightDecay(),
                AdamW::decayedLikeHuggingFace);

        // -------- where to start
        Loop s = new Loop();
        MetricsLog log;
        if (resumeFrom == null) {
            log = MetricsLog.fresh(out);
        } else {
            // "latest" skips a damaged newest checkpoint with a warning; a named one must be readable
            Checkpoint c = resumeFrom.equals("latest") ? Checkpoints.loadLatest(out) : Checkpoints.load(Path.of(resumeFrom));
            checkResumable(c);
            restore(params, c.parameters(), c.dir());
            optimizer.restore(c.state().optimizerSteps(), c.firstMoments(), c.secondMoments());
            s.restore(c.state());
            log = MetricsLog.resumed(out, c.state().logHistoryLength());
        }

        CollapseCheck collapse = new CollapseCheck(args.learningRate());
        int startStep = s.globalStep;
        ProgressBarListener bar = args.disableTqdm() ? null : new ProgressBarListener();
        try {
            if (bar != null) {
                bar.onTrainBegin(startStep, maxSteps);
            }
            listener.onTrainBegin(startStep, maxSteps);
            List<int[]> batches = sampler.batches(s.epoch);
            while (s.globalStep < maxSteps) {
                if (s.batchInEpoch >= batches.size()) {
                    s.epoch++;
                    s.batchInEpoch = 0;
                    batches = sampler.batches(s.epoch);
                    if (batches.isEmpty()) {
                        throw new IllegalStateException("epoch " + s.epoch + " has no batches (dataset of " + data.size()
                                + " examples, batch size " + args.perDeviceTrainBatchSize() + ", drop_last " + args.dropLast() + ")");
                    }
                    continue;
                }
                int step = s.globalStep + 1;
                int groupEnd = Math.min(s.batchInEpoch + accumulation, batches.size());

                // forward and backward over the micro-batches of this step
                model.zeroGradients();
                double stepLoss = 0;
                for (int mb = s.batchInEpoch; mb < groupEnd; mb++) {
                    int[] batch = batches.get(mb);
                    long dropout = dropoutSeed(args.seed(), s.globalStep, mb - s.batchInEpoch);
                    double l = model.forwardBackward(columns(batch), labels(batch), loss, 1.0 / accumulation, dropout);
                    if (!Double.isFinite(l)) {
                        throw new NonFiniteLossException(step, "loss", l, "epoch " + s.epoch + ", micro-batch " + mb,
                                lastCheckpoint(out), args.learningRate());
                    }
                    stepLoss += l / accumulation;
                }

                // clip, step, schedule
                double gradNorm = GradientClipping.clip(grads.values(), args.maxGradNorm());
                if (!Double.isFinite(gradNorm)) {
                    throw new NonFiniteLossException(step, "gradient norm", gradNorm, "epoch " + s.epoch + ", loss " + stepLoss,
                            lastCheckpoint(out), args.learningRate());
                }
                collapse.afterBackward(step, stepLoss, gradNorm);
                double lr = schedule.learningRate(s.globalStep);
                optimizer.step(params, grads, lr);
                nativeGarbage.afterStep();
                s.globalStep = step;
                double epochFraction = s.epoch + (double) groupEnd / batches.size();
                s.batchInEpoch = groupEnd;
                s.lossSinceLog += stepLoss;
                s.totalLoss += stepLoss;
                StepOutcome outcome = new StepOutcome(step, maxSteps, epochFraction, stepLoss, lr, gradNorm);
                if (bar != null) {
                    bar.onStepEnd(outcome);
                }
                listener.onStepEnd(outcome);

                // log, evaluate, save — HF's order in _maybe_log_save_evaluate
                if (step % logEvery == 0) {
                    ObjectNode line = line(step, epochFraction);
                    line.put("loss", s.lossSinceLog / (step - s.lastLoggedStep));
                    // HF logs get_last_lr() after scheduler.step(): the rate of the *next* step
                    line.put("learning_rate", schedule.learningRate(step));
                    line.put("grad_norm", gradNorm);
                    append(log, line);
                    s.lossSinceLog = 0;
                    s.lastLoggedStep = step;
                }
                if (evalEvery > 0 && step % evalEvery == 0) {
                    evaluate(s, log, step, epochFraction);
                }
                if (saveEvery > 0 && (step % saveEvery == 0 || step == maxSteps)) {
                    if (s.bestStep == step) {
                        s.bestCheckpoint = Checkpoints.name(step);
                    }
                    Path dir = Checkpoints.save(out, model, optimizer, s.state(optimizer.stepCount(), log.lineCount(), args));
                    Checkpoints.rotate(out, args.saveTotalLimit(), s.bestCheckpoint);
                    listener.onCheckpoint(step, dir);
                }
            }

            // -------- end of training
            double runtime = (System.nanoTime() - startNanos) / 1e9;
            double trainLoss = s.globalStep == 0 ? 0 : s.totalLoss / s.globalStep;
            ObjectNode summary = line(s.globalStep, s.epoch + (batches.isEmpty() ? 0 : (double) s.batchInEpoch / batches.size()));
            summary.put("train_runtime", runtime);
            summary.put("train_steps_per_second", runtime > 0 ? (s.globalStep - startStep) / runtime : 0);
            summary.put("train_loss", trainLoss);
            append(log, summary);
            Path best = s.bestCheckpoint == null ? null : out.resolve(s.bestCheckpoint);
            if (args.loadBestModelAtEnd() && best != null) {
                // HF: "Loading best model from … (score: …)"
                restore(params, Checkpoints.load(best).parameters(), best);
            }
            collapse.atEnd(s.globalStep, data, model.encoder());   // before final/ replaces an earlier good one
            Path finalDir = saveFinal(out);
            TrainResult result = new TrainResult(s.globalStep, trainLoss, runtime, best, s.bestMetric, finalDir);
            listener.onTrainEnd(result);
            return result;
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
    }

    /**
     * HF's {@code max_steps}: {@code max_steps} when positive, else
     * {@code ceil(num_train_epochs · ceil(micro-batches per epoch / gradient_accumulation_steps))},
     * counting the micro-batches of epoch 0 (samplers that drop or add batches per epoch vary slightly).
     */
    int totalSteps(BatchSampler sampler) {
        if (args.maxSteps() > 0) {
            return args.maxSteps();
        }
        int microBatches = sampler.batches(0).size();
        if (microBatches == 0) {
            throw new IllegalArgumentException("dataset " + data.name() + " of " + data.size() + " examples gives no batch of "
                    + args.perDeviceTrainBatchSize() + " (dataloader_drop_last is " + args.dropLast() + ")");
        }
        int stepsPerEpoch = Math.max(1, (microBatches + args.gradientAccumulationSteps() - 1) / args.gradientAccumulationSteps());
        return (int) Math.ceil(args.numTrainEpochs() * stepsPerEpoch);
    }

    /**
     * The dropout seed of one micro-batch: SplitMix64 mixing of (seed, step, micro-batch), so every
     * micro-batch draws different masks and a resumed run draws the same ones.
     *
     * @param step optimizer steps done before this one (0-based)
     * @param microBatch the index within this step's accumulation group
     */
    public static long dropoutSeed(long seed, int step, int microBatch) {
        return mix(mix(mix(seed) + step) + microBatch);
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The texts of each column of a batch: column c holds {@code examples[i].texts[c]}. */
    private List<List<String>> columns(int[] batch) {
        List<List<String>> columns = new ArrayList<>(columnCount);
        for (int c = 0; c < columnCount; c++) {
            List<String> col = new ArrayList<>(batch.length);
            for (int i : batch) {
                col.add(data.get(i).texts().get(c));
            }
            columns.add(col);
        }
        return columns;
    }

    /** {@code [B]} labels as DOUBLE (the loss casts them to the embeddings' type), or null. */
    private INDArray labels(int[] batch) {
        if (!labelled) {
            return null;
        }
        double[] l = new double[batch.length];
        for (int i = 0; i < batch.length; i++) {
            l[i] = data.get(batch[i]).label();
        }
        return Nd4j.createFromArray(l);
    }

    private void evaluate(Loop s, MetricsLog log, int step, double epoch) throws IOException {
        EvaluationResult result = evaluator.evaluate(model.encoder());
        ObjectNode line = line(step, epoch);
        result.metrics().forEach((k, v) -> line.put("eval_" + k, v));
        append(log, line);
        listener.onEvaluate(step, result);

        // the selection metric: HF's metric_for_best_model, defaulting here to the evaluator's primary metric
        String key = args.metricForBestModel() == null ? result.primaryMetric() : args.metricForBestModel();
        String bare = key.startsWith("eval_") ? key.substring(5) : key;
        Double value = result.metrics().get(bare);
        if (value == null) {
            throw new IllegalArgumentException("metric_for_best_model " + key + " is not among the evaluator's metrics "
                    + result.metrics().keySet());
        }
        boolean greater = args.greaterIsBetter() != null ? args.greaterIsBetter()
                : args.metricForBestModel() == null ? result.greaterIsBetter() : !bare.endsWith("loss");
        if (s.bestMetric == null || (greater ? value > s.bestMetric : value < s.bestMetric)) {
            s.bestMetric = value;
            s.bestStep = step;
        }
    }

    private void append(MetricsLog log, ObjectNode line) throws IOException {
        log.append(line);
        listener.onLog(line);
    }

    private static ObjectNode line(int step, double epoch) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("step", step);
        o.put("epoch", epoch);
        return o;
    }

    /** Copies checkpointed parameters into the model's arrays, which must match in name, shape and type. */
    private static void restore(Map<String, INDArray> params, Map<String, INDArray> saved, Path dir) {
        if (!params.keySet().equals(saved.keySet())) {
            throw new IllegalArgumentException(dir + ": the checkpoint holds parameters " + saved.keySet()
                    + ", the model has " + params.keySet());
        }
        params.forEach((name, p) -> {
            INDArray v = saved.get(name);
            if (!Arrays.equals(v.shape(), p.shape()) || v.dataType() != p.dataType()) {
                throw new IllegalArgumentException(dir + ": parameter " + name + " is " + Arrays.toString(v.shape()) + " "
                        + v.dataType() + " in the checkpoint, " + Arrays.toString(p.shape()) + " " + p.dataType() + " in the model");
            }
            p.assign(v);
        });
    }

    /** A resume with another data order could not reproduce the interrupted run; refuse it. */
    private void checkResumable(Checkpoint c) {
        TrainingArguments saved = c.state().args();
        List<String> differ = new ArrayList<>();
        if (saved.seed() != args.seed()) differ.add("seed " + saved.seed() + " vs " + args.seed());
        if (saved.perDeviceTrainBatchSize() != args.perDeviceTrainBatchSize()) {
            differ.add("per_device_train_batch_size " + saved.perDeviceTrainBatchSize() + " vs " + args.perDeviceTrainBatchSize());
        }
        if (saved.gradientAccumulationSteps() != args.gradientAccumulationSteps()) {
            differ.add("gradient_accumulation_steps " + saved.gradientAccumulationSteps() + " vs " + args.gradientAccumulationSteps());
        }
        if (saved.batchSampler() != args.batchSampler()) differ.add("batch_sampler " + saved.batchSampler() + " vs " + args.batchSampler());
        if (saved.dropLast() != args.dropLast()) differ.add("dataloader_drop_last " + saved.dropLast() + " vs " + args.dropLast());
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException(c.dir() + " was written with other data-order settings (checkpoint vs now: "
                    + String.join(", ", differ) + "); resuming would not continue the same run");
        }
    }

    /** The newest complete checkpoint in {@code out}, or null. */
    private static Path lastCheckpoint(Path out) {
        try {
            List<Path> all = Checkpoints.sorted(out);
            return all.isEmpty() ? null : all.get(all.size() - 1);
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code <output_dir>/final}, written into {@code final.tmp} and renamed into place. */
    private Path saveFinal(Path out) throws IOException {
        Path dir = out.resolve("final");
        Path tmp = out.resolve("final.tmp");
        AtomicFiles.deleteTree(tmp);
        Files.createDirectories(tmp);
        model.saveTrained(tmp);
        AtomicFiles.deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    /** The loop's mutable counters, which a checkpoint saves as {@link TrainerState}. */
    private static final class Loop {
        int globalStep;
        int epoch;
        int batchInEpoch;
        double lossSinceLog;
        int lastLoggedStep;
        double totalLoss;
        Double bestMetric;
        int bestStep = -1;
        String bestCheckpoint;

        void restore(TrainerState t) {
            globalStep = t.globalStep();
            epoch = t.epoch();
            batchInEpoch = t.batchInEpoch();
            lossSinceLog = t.lossSinceLog();
            lastLoggedStep = t.lastLoggedStep();
            totalLoss = t.totalLoss();
            bestMetric = t.bestMetric();
            bestStep = t.bestStep();
            bestCheckpoint = t.bestCheckpoint();
        }

        TrainerState state(long optimizerSteps, int logLines, TrainingArguments args) {
            return new TrainerState(globalStep, epoch, batchInEpoch, globalStep, optimizerSteps, lossSinceLog, lastLoggedStep,
                    totalLoss, bestMetric, bestStep, bestCheckpoint, logLines, args);
        }
    }
}
