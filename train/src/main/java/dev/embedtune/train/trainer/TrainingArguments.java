package dev.embedtune.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The trainer's settings, mirroring sentence-transformers' {@code SentenceTransformerTrainingArguments}
 * (Hugging Face's {@code TrainingArguments} plus {@code batch_sampler}): same meanings, same defaults,
 * same snake_case keys in YAML/JSON files, so a config written for Python reads here unchanged as far
 * as the keys below go. An unknown key is an error naming the file and the key, never ignored.
 *
 * <p>{@code logging_steps}, {@code eval_steps} and {@code save_steps} follow HF: a value below 1 is a
 * fraction of the total number of optimizer steps (rounded up), otherwise a whole number of steps. Here
 * 0 means "never" for eval and save (HF's {@code eval_strategy}/{@code save_strategy: "no"}); the keys
 * {@code eval_strategy} and {@code save_strategy} are read with values {@code "no"} and {@code "steps"}.
 * Unlike HF, giving {@code eval_steps} without {@code eval_strategy} turns evaluation on, since
 * silently ignoring it is never what was meant.
 *
 * @param outputDir where checkpoints, {@code metrics.jsonl} and {@code final/} go ({@code output_dir})
 * @param numTrainEpochs epochs, possibly fractional; ignored when {@code maxSteps > 0} (default 3)
 * @param maxSteps optimizer steps of the run, or -1 to derive them from the epochs (default -1)
 * @param perDeviceTrainBatchSize examples per micro-batch (default 8)
 * @param gradientAccumulationSteps micro-batches per optimizer step (default 1)
 * @param learningRate the peak learning rate (default 5e-5)
 * @param warmupRatio the fraction of steps spent warming up, used when {@code warmupSteps} is 0 (default 0)
 * @param warmupSteps warm-up steps; wins over the ratio when positive (default 0)
 * @param lrSchedulerType the schedule (default linear)
 * @param weightDecay AdamW's decoupled decay (default 0)
 * @param adamBeta1 default 0.9
 * @param adamBeta2 default 0.999
 * @param adamEpsilon default 1e-8
 * @param maxGradNorm the global gradient-norm limit, 0 for no clipping (default 1.0)
 * @param loggingSteps log every this many steps (default 500)
 * @param evalSteps evaluate every this many steps, 0 for never (default 0, HF's {@code eval_strategy="no"})
 * @param saveSteps checkpoint every this many steps (and at the last step), 0 for never (default 500)
 * @param saveTotalLimit keep at most this many checkpoints, besides the best one; 0 for all (default 0)
 * @param loadBestModelAtEnd restore the best checkpoint's parameters after training (default false)
 * @param metricForBestModel the eval metric that picks the best checkpoint, with or without the
 *     {@code eval_} prefix; null for the evaluator's primary metric
 * @param greaterIsBetter the metric's direction; null for the evaluator's own
 * @param seed seeds the data order and dropout (default 42)
 * @param batchSampler how examples are batched (default batch_sampler)
 * @param dropLast drop each epoch's last incomplete batch ({@code dataloader_drop_last}, default false)
 * @param disableTqdm no progress bar on stderr (default false)
 * @param gradientCheckpointing keep each layer's input only and recompute the layer in the backward
 *     ({@code gradient_checkpointing}, default false): the same gradients in less memory, for about one
 *     more forward of compute
 * @param maxMemory a memory budget for the whole process ({@code max_memory}, e.g. {@code "6g"},
 *     {@code "1500m"}; null for none): the trainer turns on gradient checkpointing and, if needed,
 *     GradCache mini-batches to stay under it, and refuses up front a run that cannot fit (see
 *     {@link MemoryPlan}); an embedtune key, not Hugging Face's
 */
public record TrainingArguments(
        Path outputDir,
        double numTrainEpochs,
        int maxSteps,
        int perDeviceTrainBatchSize,
        int gradientAccumulationSteps,
        double learningRate,
        double warmupRatio,
        int warmupSteps,
        SchedulerType lrSchedulerType,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double maxGradNorm,
        double loggingSteps,
        double evalSteps,
        double saveSteps,
        int saveTotalLimit,
        boolean loadBestModelAtEnd,
        String metricForBestModel,
        Boolean greaterIsBetter,
        long seed,
        BatchSamplerType batchSampler,
        boolean dropLast,
        boolean disableTqdm,
        boolean gradientCheckpointing,
        String maxMemory) {

    /** Every key a file may hold, in the order {@link #toJson()} writes them. */
    public static final List<String> KEYS = List.of("output_dir", "num_train_epochs", "max_steps",
            "per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate", "warmup_ratio",
            "warmup_steps", "lr_scheduler_type", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon",
            "max_grad_norm", "logging_steps", "eval_strategy", "eval_steps", "save_strategy", "save_steps",
            "save_total_limit", "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "seed",
            "batch_sampler", "dataloader_drop_last", "disable_tqdm", "gradient_checkpointing", "max_memory");

    /** Validates every field; messages use the file keys. */
    public TrainingArguments {
        Objects.requireNonNull(outputDir, "output_dir is required");
        Objects.requireNonNull(lrSchedulerType, "lr_scheduler_type");
        Objects.requireNonNull(batchSampler, "batch_sampler");
        if (maxSteps == 0 || maxSteps < -1) {
            throw new IllegalArgumentException("max_steps must be positive, or -1 to train num_train_epochs, got " + maxSteps);
        }
        if (!(numTrainEpochs >= 0)) {   // negative or NaN is a mistake even when max_steps makes it unused
            throw new IllegalArgumentException("num_train_epochs must be positive, got " + numTrainEpochs);
        }
        if (maxSteps < 0 && !(numTrainEpochs > 0)) {
            throw new IllegalArgumentException("num_train_epochs must be positive when max_steps is -1, got " + numTrainEpochs);
        }
        positive("per_device_train_batch_size", perDeviceTrainBatchSize);
        if (maxMemory != null) {
            MemoryPlan.parseBytes(maxMemory);                   // validates "6g", "1500m", …
        }
        positive("gradient_accumulation_steps", gradientAccumulationSteps);
        if (!(learningRate >= 0)) {
            throw new IllegalArgumentException("learning_rate must be >= 0, got " + learningRate);
        }
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
            throw new IllegalArgumentException("warmup_ratio must be in [0, 1], got " + warmupRatio);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
        }
        if (!(maxGradNorm >= 0)) {
            throw new IllegalArgumentException("max_grad_norm must be >= 0 (0 turns clipping off), got " + maxGradNorm);
        }
        stepsValue("logging_steps", loggingSteps);
        if (loggingSteps == 0) {
            throw new IllegalArgumentException("logging_steps must be positive, got 0");
        }
        stepsValue("eval_steps", evalSteps);
        stepsValue("save_steps", saveSteps);
        if (saveTotalLimit < 0) {
            throw new IllegalArgumentException("save_total_limit must be >= 0 (0 keeps every checkpoint), got " + saveTotalLimit);
        }
        if (loadBestModelAtEnd) {
            if (evalSteps == 0 || saveSteps == 0) {
                throw new IllegalArgumentException("load_best_model_at_end needs evaluation and checkpoints: set eval_steps and save_steps"
                        + " (found eval_steps " + evalSteps + ", save_steps " + saveSteps + ")");
            }
            // HF's rule: every checkpoint must have an evaluation to be ranked by.
            if (evalSteps >= 1 && saveSteps >= 1 && saveSteps % evalSteps != 0) {
                throw new IllegalArgumentException("load_best_model_at_end requires save_steps to be a multiple of eval_steps, found "
                        + "save_steps " + (long) saveSteps + " and eval_steps " + (long) evalSteps);
            }
        }
        if (metricForBestModel != null && metricForBestModel.isBlank()) {
            metricForBestModel = null;
        }
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be at least 1, got " + value);
        }
    }

    private static void stepsValue(String key, double value) {
        if (!(value >= 0) || (value > 1 && value != Math.rint(value))) {
            throw new IllegalArgumentException(key + " must be a whole number of steps, or a fraction in (0, 1) of the total steps, got "
                    + value);
        }
    }

    /** HF defaults for everything but the output directory. */
    public static Builder builder(Path outputDir) {
        return new Builder().outputDir(outputDir);
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * An interval in steps: a fraction below 1 of {@code totalSteps} rounded up (HF), else the value;
     * 0 stays 0 (never).
     */
    public static int resolveSteps(double value, int totalSteps) {
        if (value == 0) {
            return 0;
        }
        return value < 1 ? Math.max(1, (int) Math.ceil(totalSteps * value)) : (int) value;
    }

    // ---------------------------------------------------------------- files

    /**
     * Reads the object form; {@code source} names the file in errors. A missing {@code output_dir}
     * is an error.
     */
    public static TrainingArguments fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected an object of training arguments (learning_rate: 2.0e-5, …), found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException(source + ": unknown training argument '" + k + "'; known keys: "
                        + String.join(", ", KEYS));
            }
        }
        SettingsFields f = new SettingsFields(root, source, "");
        if (!f.has("output_dir")) {
            throw new IllegalArgumentException(source + ": output_dir is required");
        }
        Builder b = builder(Path.of(f.text("output_dir")));
        if (f.has("num_train_epochs")) b.numTrainEpochs(f.number("num_train_epochs"));
        if (f.has("max_steps")) b.maxSteps(f.integer("max_steps"));
        if (f.has("per_device_train_batch_size")) b.perDeviceTrainBatchSize(f.integer("per_device_train_batch_size"));
        if (f.has("gradient_accumulation_steps")) b.gradientAccumulationSteps(f.integer("gradient_accumulation_steps"));
        if (f.has("learning_rate")) b.learningRate(f.number("learning_rate"));
        if (f.has("warmup_ratio")) b.warmupRatio(f.number("warmup_ratio"));
        if (f.has("warmup_steps")) b.warmupSteps(f.integer("warmup_steps"));
        if (f.has("lr_scheduler_type")) b.lrSchedulerType(f.parsed("lr_scheduler_type", SchedulerType::parse));
        if (f.has("weight_decay")) b.weightDecay(f.number("weight_decay"));
        if (f.has("adam_beta1")) b.adamBeta1(f.number("adam_beta1"));
        if (f.has("adam_beta2")) b.adamBeta2(f.number("adam_beta2"));
        if (f.has("adam_epsilon")) b.adamEpsilon(f.number("adam_epsilon"));
        if (f.has("max_grad_norm")) b.maxGradNorm(f.number("max_grad_norm"));
        if (f.has("logging_steps")) b.loggingSteps(f.number("logging_steps"));
        if (f.has("save_steps")) b.saveSteps(f.number("save_steps"));
        if (f.has("save_total_limit")) b.saveTotalLimit(f.integer("save_total_limit"));
        if (f.has("load_best_model_at_end")) b.loadBestModelAtEnd(f.bool("load_best_model_at_end"));
        if (f.has("metric_for_best_model")) b.metricForBestModel(f.text("metric_for_best_model"));
        if (f.has("greater_is_better")) b.greaterIsBetter(f.bool("greater_is_better"));
        if (f.has("seed")) b.seed(f.longInteger("seed"));
        if (f.has("batch_sampler")) b.batchSampler(f.parsed("batch_sampler", BatchSamplerType::parse));
        if (f.has("dataloader_drop_last")) b.dropLast(f.bool("dataloader_drop_last"));
        if (f.has("disable_tqdm")) b.disableTqdm(f.bool("disable_tqdm"));
        if (f.has("gradient_checkpointing")) b.gradientCheckpointing(f.bool("gradient_checkpointing"));
        if (f.has("max_memory")) b.maxMemory(f.text("max_memory"));
        // eval: HF's default strategy is "no"; eval_steps alone means "steps" (see the class comment)
        String evalStrategy = strategy(f, "eval_strategy");
        if (f.has("eval_steps")) {
            b.evalSteps(f.number("eval_steps"));
        } else if ("steps".equals(evalStrategy)) {
            b.evalSteps(root.has("logging_steps") ? f.number("logging_steps") : b.loggingSteps);
        }
        if ("no".equals(evalStrategy)) {
            b.evalSteps(0);
        }
        if ("no".equals(strategy(f, "save_strategy"))) {
            b.saveSteps(0);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The snake_case object form, which {@link #fromJson} reads back to equal arguments. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("output_dir", outputDir.toString());
        o.put("num_train_epochs", numTrainEpochs);
        o.put("max_steps", maxSteps);
        o.put("per_device_train_batch_size", perDeviceTrainBatchSize);
        o.put("gradient_accumulation_steps", gradientAccumulationSteps);
        o.put("learning_rate", learningRate);
        o.put("warmup_ratio", warmupRatio);
        o.put("warmup_steps", warmupSteps);
        o.put("lr_scheduler_type", lrSchedulerType.hfName());
        o.put("weight_decay", weightDecay);
        o.put("adam_beta1", adamBeta1);
        o.put("adam_beta2", adamBeta2);
        o.put("adam_epsilon", adamEpsilon);
        o.put("max_grad_norm", maxGradNorm);
        o.put("logging_steps", loggingSteps);
        o.put("eval_strategy", evalSteps == 0 ? "no" : "steps");
        o.put("eval_steps", evalSteps);
        o.put("save_strategy", saveSteps == 0 ? "no" : "steps");
        o.put("save_steps", saveSteps);
        o.put("save_total_limit", saveTotalLimit);
        o.put("load_best_model_at_end", loadBestModelAtEnd);
        if (metricForBestModel != null) {
            o.put("metric_for_best_model", metricForBestModel);
        }
        if (greaterIsBetter != null) {
            o.put("greater_is_better", greaterIsBetter);
        }
        o.put("seed", seed);
        o.put("batch_sampler", batchSampler.hfName());
        o.put("dataloader_drop_last", dropLast);
        o.put("disable_tqdm", disableTqdm);
        o.put("gradient_checkpointing", gradientCheckpointing);
        if (maxMemory != null) {
            o.put("max_memory", maxMemory);
        }
        return o;
    }

    /** "no" or "steps" (HF's strategies that this trainer follows), or null when absent. */
    private static String strategy(SettingsFields f, String key) {
        if (!f.has(key)) {
            return null;
        }
        String s = f.text(key).toLowerCase(Locale.ROOT);
        if (!s.equals("no") && !s.equals("steps")) {
            throw f.error(key, "must be \"no\" or \"steps\" (\"epoch\" is not supported), found \"" + s + "\"");
        }
        return s;
    }

    /** Collects arguments with HF's defaults; {@link #build()} validates them. */
    public static final class Builder {
        private Path outputDir;
        private double numTrainEpochs = 3.0;
        private int maxSteps = -1;
        private int perDeviceTrainBatchSize = 8;
        private int gradientAccumulationSteps = 1;
        private double learningRate = 5e-5;
        private double warmupRatio = 0.0;
        private int warmupSteps = 0;
        private SchedulerType lrSchedulerType = SchedulerType.LINEAR;
        private double weightDecay = 0.0;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private double adamEpsilon = 1e-8;
        private double maxGradNorm = 1.0;
        private double loggingSteps = 500;
        private double evalSteps = 0;
        private double saveSteps = 500;
        private int saveTotalLimit = 0;
        private boolean loadBestModelAtEnd = false;
        private String metricForBestModel;
        private Boolean greaterIsBetter;
        private long seed = 42;
        private BatchSamplerType batchSampler = BatchSamplerType.BATCH_SAMPLER;
        private boolean dropLast = false;
        private boolean disableTqdm = false;
        private boolean gradientCheckpointing = false;
        private String maxMemory;

        private Builder() {
        }

        private Builder(TrainingArguments a) {
            outputDir = a.outputDir;
            numTrainEpochs = a.numTrainEpochs;
            maxSteps = a.maxSteps;
            perDeviceTrainBatchSize = a.perDeviceTrainBatchSize;
            gradientAccumulationSteps = a.gradientAccumulationSteps;
            learningRate = a.learningRate;
            warmupRatio = a.warmupRatio;
            warmupSteps = a.warmupSteps;
            lrSchedulerType = a.lrSchedulerType;
            weightDecay = a.weightDecay;
            adamBeta1 = a.adamBeta1;
            adamBeta2 = a.adamBeta2;
            adamEpsilon = a.adamEpsilon;
            maxGradNorm = a.maxGradNorm;
            loggingSteps = a.loggingSteps;
            evalSteps = a.evalSteps;
            saveSteps = a.saveSteps;
            saveTotalLimit = a.saveTotalLimit;
            loadBestModelAtEnd = a.loadBestModelAtEnd;
            metricForBestModel = a.metricForBestModel;
            greaterIsBetter = a.greaterIsBetter;
            seed = a.seed;
            batchSampler = a.batchSampler;
            dropLast = a.dropLast;
            disableTqdm = a.disableTqdm;
            gradientCheckpointing = a.gradientCheckpointing;
            maxMemory = a.maxMemory;
        }

        public Builder outputDir(Path v) { outputDir = v; return this; }
        public Builder numTrainEpochs(double v) { numTrainEpochs = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder perDeviceTrainBatchSize(int v) { perDeviceTrainBatchSize = v; return this; }
        public Builder gradientAccumulationSteps(int v) { gradientAccumulationSteps = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder lrSchedulerType(SchedulerType v) { lrSchedulerType = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder adamBeta1(double v) { adamBeta1 = v; return this; }
        public Builder adamBeta2(double v) { adamBeta2 = v; return this; }
        public Builder adamEpsilon(double v) { adamEpsilon = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder loggingSteps(double v) { loggingSteps = v; return this; }
        public Builder evalSteps(double v) { evalSteps = v; return this; }
        public Builder saveSteps(double v) { saveSteps = v; return this; }
        public Builder saveTotalLimit(int v) { saveTotalLimit = v; return this; }
        public Builder loadBestModelAtEnd(boolean v) { loadBestModelAtEnd = v; return this; }
        public Builder metricForBestModel(String v) { metricForBestModel = v; return this; }
        public Builder greaterIsBetter(Boolean v) { greaterIsBetter = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder batchSampler(BatchSamplerType v) { batchSampler = v; return this; }
        public Builder dropLast(boolean v) { dropLast = v; return this; }
        public Builder disableTqdm(boolean v) { disableTqdm = v; return this; }
        public Builder gradientCheckpointing(boolean v) { gradientCheckpointing = v; return this; }
        public Builder maxMemory(String v) { maxMemory = v; return this; }

        public TrainingArguments build() {
            return new TrainingArguments(outputDir, numTrainEpochs, maxSteps, perDeviceTrainBatchSize, gradientAccumulationSteps,
                    learningRate, warmupRatio, warmupSteps, lrSchedulerType, weightDecay, adamBeta1, adamBeta2, adamEpsilon,
                    maxGradNorm, loggingSteps, evalSteps, saveSteps, saveTotalLimit, loadBestModelAtEnd, metricForBestModel,
                    greaterIsBetter, seed, batchSampler, dropLast, disableTqdm, gradientCheckpointing, maxMemory);
        }
    }
}
