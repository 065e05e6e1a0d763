package dev.embedtune.train.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.trainer.TrainingArguments;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one {@link Pipeline} run needs, read from a YAML or JSON file of snake_case keys
 * ({@code embedtune run --config FILE.yaml}). Relative paths are relative to the working directory,
 * as in Hugging Face's scripts. Every key is optional; the defaults are the main job's:
 *
 * <pre>
 * model: builtin:all-minilm-l6-v2   # or a model directory (BERT)
 * data: null                        # JSONL of id, query, passage, group[, split]; null = the shipped Jargon File pairs
 * output_dir: runs/main
 * dims: [384, 256, 128, 64]         # Matryoshka dimensions: the loss and every evaluation
 * max_length: 128                   # tokens per text, training and evaluation
 * quantization: nf4                 # nf4, fp4, int8 or none (the frozen base while training)
 * lora_r: 16
 * lora_alpha: 32
 * lora_dropout: 0.0                 # PEFT's, on each adapter's input
 * target_modules: [all-linear]      # PEFT's: last names (query, key, value, dense; Wqkv, Wo, Wi) or all-linear
 * use_rslora: false
 * lora_bias: none                   # PEFT's bias: none, all or lora_only
 * modules_to_save: []               # norms trained in full, e.g. [LayerNorm] (BERT) or [norm] (ModernBERT)
 * model_dropout: true               # the model's own dropout while training, as sentence-transformers
 * loss: mnrl                        # FineTuneJob.LOSS_NAMES; wrapped in MatryoshkaLoss over dims
 * train_split: train
 * eval_split: test
 * overwrite_output_dir: false       # replace an earlier run in output_dir (--overwrite)
 * resume_from_checkpoint: null      # "latest" or a checkpoint directory (--resume)
 * mining:
 *   enabled: true
 *   scorer: bm25                    # bm25, or dense (the base model)
 *   num_negatives: 1
 *   range_min: 0
 *   range_max: null
 *   absolute_margin: null
 *   relative_margin: null
 *   max_score: null
 *   min_score: null
 *   sampling: top                   # top or random (seeded by the training seed)
 *   format: triplet                 # triplet (one row per negative) or n-tuple (one row per query)
 * training:                         # TrainingArguments keys (HF names); also accepted at the top level
 *   num_train_epochs: 1
 *   per_device_train_batch_size: 32
 *   learning_rate: 2.0e-4
 *   weight_decay: 0.01
 *   warmup_ratio: 0.1
 *   lr_scheduler_type: linear
 *   batch_sampler: no_duplicates
 *   seed: 42
 *   logging_steps: 0.01             # a fraction of the run: about 100 loss points whatever its length
 *   save_steps: 0.1                 # a checkpoint every 10 % of the run, for resume
 *   save_total_limit: 2
 * </pre>
 *
 * The training arguments not listed keep Hugging Face's defaults. An unknown key, anywhere, is an
 * error naming the file and the key; so is a training argument given both at the top level and under
 * {@code training:}.
 *
 * @param model the base model: {@code builtin:NAME} or a directory
 * @param data the dataset file, or null for the shipped Jargon File pairs
 * @param dims the Matryoshka dimensions, each at least 1 (checked against the model when it is loaded)
 * @param maxLength tokens per text when training and evaluating
 * @param quantization the frozen base weights while training
 * @param lora the adapters: rank, alpha, dropout, targets, rsLoRA, and the base tensors that train beside them
 * @param modelDropout apply the model's own dropout while training
 * @param loss the loss name
 * @param mining hard-negative mining for the training split
 * @param trainSplit the split trained on ({@code train}, {@code test} or {@code all})
 * @param evalSplit the split whose queries are evaluated (the corpus is every passage of the file)
 * @param overwriteOutputDir replace an earlier run's files in the output directory
 * @param resumeFromCheckpoint null, {@code latest} or a checkpoint directory
 * @param training the trainer's arguments; its {@code output_dir} is the run's output directory
 */
public record PipelineConfig(String model, Path data, List<Integer> dims, int maxLength, BaseQuantization quantization,
        LoraConfig lora, boolean modelDropout, String loss, Mining mining, String trainSplit, String evalSplit,
        boolean overwriteOutputDir,
        String resumeFromCheckpoint, TrainingArguments training) {

    public static final String DEFAULT_MODEL = "builtin:all-minilm-l6-v2";
    public static final Path DEFAULT_OUTPUT = Path.of("runs/main");
    public static final List<Integer> DEFAULT_DIMS = List.of(384, 256, 128, 64);

    /** The keys of the top level, besides the training arguments. */
    public static final List<String> KEYS = List.of("model", "data", "output_dir", "dims", "max_length", "quantization",
            "lora_r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "lora_bias", "modules_to_save",
            "model_dropout", "loss", "mining", "train_split", "eval_split", "overwrite_output_dir",
            "resume_from_checkpoint", "training");

    /** The keys under {@code mining:}. */
    public static final List<String> MINING_KEYS = List.of("enabled", "scorer", "num_negatives", "range_min", "range_max",
            "absolute_margin", "relative_margin", "max_score", "min_score", "sampling", "format");

    private static final Set<String> SPLITS = Set.of("train", "test", "all");

    /** Which scorer ranks the mining candidates. */
    public enum Scorer { BM25, DENSE }

    /**
     * Hard-negative mining of the training split ({@code mine_hard_negatives}).
     *
     * @param enabled mine, or train on the plain pairs
     * @param scorer BM25 (Lucene) or dense (the base model's embeddings)
     * @param options the miner's options; its format is TRIPLET or N_TUPLE and its seed the training seed
     */
    public record Mining(boolean enabled, Scorer scorer, MiningOptions options) {
        public Mining {
            Objects.requireNonNull(scorer, "scorer");
            Objects.requireNonNull(options, "options");
            if (options.format() == MiningOptions.Format.LABELED_PAIR) {
                throw new IllegalArgumentException("mining.format must be triplet or n-tuple for training, got labeled-pair");
            }
        }

        /** BM25, 1 negative, the top candidate, triplets. */
        public static Mining defaults(long seed) {
            return new Mining(true, Scorer.BM25, new MiningOptions(0, null, null, null, null, null, 1,
                    MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET, seed));
        }
    }

    /**
     * @throws IllegalArgumentException for empty or non-positive dims, a max length below 2, a bad split,
     *     LoRA rank below 1, an unknown loss, or a loss that cannot train on what mining (or its absence) gives
     */
    public PipelineConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(quantization, "quantization");
        Objects.requireNonNull(mining, "mining");
        Objects.requireNonNull(training, "training");
        dims = List.copyOf(dims);
        if (dims.isEmpty()) {
            throw new IllegalArgumentException("dims must list at least one Matryoshka dimension");
        }
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("dims must be positive, got " + dims);
            }
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("max_length must be at least 2 (for [CLS] and [SEP]), got " + maxLength);
        }
        if (!SPLITS.contains(trainSplit)) {
            throw new IllegalArgumentException("train_split must be train, test or all, got '" + trainSplit + "'");
        }
        if (!SPLITS.contains(evalSplit)) {
            throw new IllegalArgumentException("eval_split must be train, test or all, got '" + evalSplit + "'");
        }
        if (overwriteOutputDir && resumeFromCheckpoint != null) {
            throw new IllegalArgumentException("overwrite_output_dir and resume_from_checkpoint exclude each other:"
                    + " overwriting deletes the checkpoints a resume needs");
        }
        ExampleFormat format = trainingFormat(mining);
        Set<ExampleFormat> accepted = FineTuneJob.formatsOf(loss);   // also rejects an unknown loss
        if (!accepted.contains(format)) {
            throw new IllegalArgumentException("loss " + loss + " trains on " + accepted + " examples, but "
                    + (mining.enabled() ? "mining gives " : "the pairs (mining disabled) are ") + format
                    + "; pick a loss of the MNRL family, or change mining");
        }
    }

    /**
     * This config with the run flags of the command line, as {@code embedtune finetune} has them:
     * {@code --overwrite}, and {@code --resume [latest|DIR]} ({@code resume} null when not given).
     * Either flag replaces the file's {@code overwrite_output_dir} and {@code resume_from_checkpoint};
     * without flags the file's values stay.
     */
    public PipelineConfig withRunFlags(boolean overwrite, String resume) {
        if (!overwrite && resume == null) {
            return this;
        }
        return new PipelineConfig(model, data, dims, maxLength, quantization, lora, modelDropout, loss, mining, trainSplit,
                evalSplit, overwrite, resume, training);
    }

    /** The adapters' rank. */
    public int loraR() {
        return lora.r();
    }

    /** The adapters' alpha. */
    public double loraAlpha() {
        return lora.alpha();
    }

    /** The output directory, {@code training.output_dir}. */
    public Path outputDir() {
        return training.outputDir();
    }

    /** The main job's settings, writing into {@code outputDir}. */
    public static PipelineConfig defaults(Path outputDir) {
        return fromJson(JsonNodeFactory.instance.objectNode().put("output_dir", outputDir.toString()), "defaults");
    }

    /** The format of the training examples: pairs, or what mining writes. */
    static ExampleFormat trainingFormat(Mining mining) {
        if (!mining.enabled()) {
            return ExampleFormat.PAIR;
        }
        return mining.options().format() == MiningOptions.Format.N_TUPLE && mining.options().numNegatives() > 1
                ? ExampleFormat.N_TUPLE : ExampleFormat.TRIPLET;
    }

    /** The pipeline's training defaults, where they differ from Hugging Face's (see the class comment). */
    static ObjectNode trainingDefaults() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("num_train_epochs", 1.0);
        o.put("per_device_train_batch_size", 32);
        o.put("learning_rate", 2e-4);
        o.put("weight_decay", 0.01);
        o.put("warmup_ratio", 0.1);
        o.put("lr_scheduler_type", "linear");
        o.put("batch_sampler", "no_duplicates");
        o.put("seed", 42);
        o.put("logging_steps", 0.01);
        o.put("save_steps", 0.1);
        o.put("save_total_limit", 2);
        return o;
    }

    // ---------------------------------------------------------------- files

    /**
     * Reads a YAML ({@code .yaml}/{@code .yml}) or JSON file.
     *
     * @throws IllegalArgumentException naming the file and the key that is unknown, ill-typed or out of range
     * @throws NoSuchFileException when the file does not exist
     */
    public static PipelineConfig read(Path file) throws IOException {
        JsonNode root = TrainingArguments.readTree(file, "pipeline config file");
        if (root == null) {
            root = JsonNodeFactory.instance.objectNode();   // an empty file: every default
        }
        return fromJson(root, file.toString());
    }

    /**
     * Reads the object form; {@code source} names the file in errors.
     *
     * @throws IllegalArgumentException naming {@code source} and the offending key
     */
    public static PipelineConfig fromJson(JsonNode root, String source) {
        if (!root.isObject()) {
            throw new IllegalArgumentException(source + ": expected an object of settings (model: …, dims: […], …), found "
                    + root.getNodeType());
        }
        // ---- which key goes where: pipeline keys, training arguments at the top, training arguments under training:
        ObjectNode trainingNode = trainingDefaults();
        JsonNode nested = root.get("training");
        if (nested != null && !nested.isNull() && !nested.isObject()) {
            throw new IllegalArgumentException(source + ": training must be an object of training arguments, found " + nested);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (k.equals("output_dir")) {
                continue;   // both a pipeline and a training key: handled below
            }
            if (TrainingArguments.KEYS.contains(k)) {
                if (nested != null && nested.has(k)) {
                    throw new IllegalArgumentException(source + ": " + k + " is given both at the top level and under training:;"
                            + " keep one");
                }
                trainingNode.set(k, root.get(k));
            } else if (!KEYS.contains(k)) {
                throw new IllegalArgumentException(source + ": unknown key '" + k + "'; known keys: " + String.join(", ", KEYS)
                        + ", and the training arguments " + String.join(", ", TrainingArguments.KEYS));
            }
        }
        if (nested != null && nested.isObject()) {
            for (Iterator<String> it = nested.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!TrainingArguments.KEYS.contains(k)) {
                    throw new IllegalArgumentException(source + ": unknown training argument 'training." + k + "'; known keys: "
                            + String.join(", ", TrainingArguments.KEYS));
                }
                if (k.equals("output_dir") && root.has("output_dir") && !root.get("output_dir").equals(nested.get(k))) {
                    throw new IllegalArgumentException(source + ": output_dir is given both at the top level ("
                            + root.get("output_dir") + ") and under training: (" + nested.get(k) + "); keep one");
                }
                trainingNode.set(k, nested.get(k));
            }
        }
        Fields f = new Fields(root, source, "");
        if (!trainingNode.has("output_dir")) {
            trainingNode.put("output_dir", f.has("output_dir") ? f.text("output_dir") : DEFAULT_OUTPUT.toString());
        }
        TrainingArguments training = TrainingArguments.fromJson(trainingNode, source);

        // ---- the pipeline's own keys
        String resume = null;
        if (f.has("resume_from_checkpoint")) {
            JsonNode r = root.get("resume_from_checkpoint");
            if (r.isBoolean()) {
                resume = r.booleanValue() ? "latest" : null;
            } else {
                resume = f.text("resume_from_checkpoint");
            }
        }
        try {
            return new PipelineConfig(
                    f.has("model") ? f.text("model") : DEFAULT_MODEL,
                    f.has("data") ? Path.of(f.text("data")) : null,
                    f.has("dims") ? f.intList("dims") : DEFAULT_DIMS,
                    f.has("max_length") ? f.integer("max_length") : 128,
                    f.has("quantization") ? f.parsed("quantization", BaseQuantization::parse) : BaseQuantization.NF4,
                    lora(f),
                    !f.has("model_dropout") || f.bool("model_dropout"),
                    f.has("loss") ? f.text("loss") : "mnrl",
                    mining(root.get("mining"), source, training.seed()),
                    f.has("train_split") ? f.text("train_split") : "train",
                    f.has("eval_split") ? f.text("eval_split") : "test",
                    f.has("overwrite_output_dir") && f.bool("overwrite_output_dir"),
                    resume,
                    training);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(source + ":")) {
                throw e;
            }
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The adapters' keys, PEFT's names and defaults (r 16 and alpha 32 as the main job's). */
    private static LoraConfig lora(Fields f) {
        int r = f.has("lora_r") ? f.integer("lora_r") : 16;
        double alpha = f.has("lora_alpha") ? f.number("lora_alpha") : 32;
        if (r < 1) {
            throw new IllegalArgumentException("lora_r must be at least 1, got " + r);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora_alpha must be positive, got " + alpha);
        }
        return new LoraConfig(r, alpha, f.has("lora_dropout") ? f.number("lora_dropout") : 0,
                f.has("target_modules") ? f.textList("target_modules") : List.of(LoraConfig.ALL_LINEAR),
                f.has("use_rslora") && f.bool("use_rslora"),
                f.has("lora_bias") ? f.parsed("lora_bias", LoraBias::parse) : LoraBias.NONE,
                f.has("modules_to_save") ? f.textList("modules_to_save") : List.of());
    }

    private static Mining mining(JsonNode node, String source, long seed) {
        Mining d = Mining.defaults(seed);
        if (node == null || node.isNull()) {
            return d;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(source + ": mining must be an object (enabled: true, scorer: bm25, …), found " + node);
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!MINING_KEYS.contains(k)) {
                throw new IllegalArgumentException(source + ": unknown key 'mining." + k + "'; known keys under mining: "
                        + String.join(", ", MINING_KEYS));
            }
        }
        Fields f = new Fields(node, source, "mining.");
        MiningOptions o = d.options();
        try {
            return new Mining(
                    f.has("enabled") ? f.bool("enabled") : d.enabled(),
                    f.has("scorer") ? f.parsed("scorer", s -> enumValue(Scorer.class, s, "bm25 or dense")) : d.scorer(),
                    new MiningOptions(
                            f.has("range_min") ? f.integer("range_min") : o.rangeMin(),
                            f.has("range_max") ? (Integer) f.integer("range_max") : o.rangeMax(),
                            f.has("max_score") ? (Double) f.number("max_score") : o.maxScore(),
                            f.has("min_score") ? (Double) f.number("min_score") : o.minScore(),
                            f.has("absolute_margin") ? (Double) f.number("absolute_margin") : o.absoluteMargin(),
                            f.has("relative_margin") ? (Double) f.number("relative_margin") : o.relativeMargin(),
                            f.has("num_negatives") ? f.integer("num_negatives") : o.numNegatives(),
                            f.has("sampling") ? f.parsed("sampling", s -> enumValue(MiningOptions.Sampling.class, s, "top or random"))
                                    : o.sampling(),
                            f.has("format") ? f.parsed("format", s -> enumValue(MiningOptions.Format.class, s, "triplet or n-tuple"))
                                    : o.format(),
                            seed));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(source + ":")) {
                throw e;
            }
            throw new IllegalArgumentException(source + ": mining: " + e.getMessage(), e);
        }
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String s, String expected) {
        try {
            return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected " + expected + ", got '" + s + "'");
        }
    }

    /**
     * The object form with every key, which {@link #fromJson} reads back to an equal config; the
     * training arguments under {@code training:}. Run flags (overwrite, resume) are left out: they say
     * how to start, not what the run is.
     */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("model", model);
        if (data == null) {
            o.putNull("data");
        } else {
            o.put("data", data.toString());
        }
        o.put("output_dir", outputDir().toString());
        dims.forEach(o.putArray("dims")::add);
        o.put("max_length", maxLength);
        o.put("quantization", quantization.toString());
        o.put("lora_r", lora.r());
        o.put("lora_alpha", lora.alpha());
        o.put("lora_dropout", lora.dropout());
        lora.targetModules().forEach(o.putArray("target_modules")::add);
        o.put("use_rslora", lora.useRslora());
        o.put("lora_bias", lora.bias().peftName());
        lora.modulesToSave().forEach(o.putArray("modules_to_save")::add);
        o.put("model_dropout", modelDropout);
        o.put("loss", loss);
        o.put("train_split", trainSplit);
        o.put("eval_split", evalSplit);
        ObjectNode m = o.putObject("mining");
        MiningOptions mo = mining.options();
        m.put("enabled", mining.enabled());
        m.put("scorer", mining.scorer().name().toLowerCase(Locale.ROOT));
        m.put("num_negatives", mo.numNegatives());
        m.put("range_min", mo.rangeMin());
        putOrNull(m, "range_max", mo.rangeMax());
        putOrNull(m, "absolute_margin", mo.absoluteMargin());
        putOrNull(m, "relative_margin", mo.relativeMargin());
        putOrNull(m, "max_score", mo.maxScore());
        putOrNull(m, "min_score", mo.minScore());
        m.put("sampling", mo.sampling().name().toLowerCase(Locale.ROOT));
        m.put("format", mo.format().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        ObjectNode t = training.toJson();
        t.remove("output_dir");   // the top-level output_dir
        o.set("training", t);
        return o;
    }

    private static void putOrNull(ObjectNode o, String key, Number v) {
        if (v == null) {
            o.putNull(key);
        } else if (v instanceof Integer i) {
            o.put(key, i);
        } else {
            o.put(key, v.doubleValue());
        }
    }

    /** Typed access to one object's fields, with errors naming the file and the key path. */
    private record Fields(JsonNode root, String source, String prefix) {

        boolean has(String key) {
            return root.has(key) && !root.get(key).isNull();
        }

        private IllegalArgumentException wrong(String key, String expected) {
            return new IllegalArgumentException(source + ": " + prefix + key + " must be " + expected + ", found " + root.get(key));
        }

        double number(String key) {
            JsonNode n = root.get(key);
            if (n.isNumber()) {
                return n.doubleValue();
            }
            // YAML 1.1 reads "5e-5" (no dot) as a string, as TrainingArguments accepts
            if (n.isTextual()) {
                try {
                    return Double.parseDouble(n.textValue().trim());
                } catch (NumberFormatException e) {
                    throw wrong(key, "a number");
                }
            }
            throw wrong(key, "a number");
        }

        int integer(String key) {
            JsonNode n = root.get(key);
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw wrong(key, "an integer");
            }
            return n.intValue();
        }

        boolean bool(String key) {
            JsonNode n = root.get(key);
            if (!n.isBoolean()) {
                throw wrong(key, "true or false");
            }
            return n.booleanValue();
        }

        String text(String key) {
            JsonNode n = root.get(key);
            if (!n.isTextual()) {
                throw wrong(key, "a string");
            }
            return n.textValue();
        }

        List<String> textList(String key) {
            JsonNode n = root.get(key);
            if (n.isTextual()) {
                return List.of(n.textValue());
            }
            if (!n.isArray()) {
                throw wrong(key, "a list of names such as [query, value]");
            }
            List<String> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw wrong(key, "a list of names such as [query, value]");
                }
                out.add(e.textValue());
            }
            return out;
        }

        List<Integer> intList(String key) {
            JsonNode n = root.get(key);
            if (!n.isArray()) {
                throw wrong(key, "a list of integers such as [384, 256, 128, 64]");
            }
            List<Integer> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                    throw wrong(key, "a list of integers such as [384, 256, 128, 64]");
                }
                out.add(e.intValue());
            }
            return out;
        }

        <T> T parsed(String key, java.util.function.Function<String, T> parser) {
            try {
                return parser.apply(text(key));
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith(source + ":")) {
                    throw e;
                }
                throw new IllegalArgumentException(source + ": " + prefix + key + ": " + e.getMessage(), e);
            }
        }
    }
}
