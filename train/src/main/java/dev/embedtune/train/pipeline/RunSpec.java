package dev.embedtune.train.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.trainer.SettingsFields;
import dev.embedtune.train.trainer.TrainingArguments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One fine-tuning run, whatever starts it: {@code embedtune main} (the defaults), {@code run --config
 * FILE}, {@code finetune}, each HPO trial, or a program that calls {@link Pipeline#run}. One key
 * vocabulary, the names of Hugging Face's {@code TrainingArguments}, PEFT's {@code LoraConfig} and
 * sentence-transformers; one reader ({@link #fromTree}); one validation whose messages name the file
 * and the key; one set of defaults ({@link #defaults}). A front end is this record plus overrides:
 * a command-line option is a key ({@code --lr} is {@code learning_rate}), a trial's hyperparameter
 * is a key ({@link #withOverrides}).
 *
 * <h2>Keys and defaults</h2>
 * The defaults are the main job's (the README's figures are run with them):
 * <pre>
 * model: builtin:all-minilm-l6-v2   # or a model directory (BERT, ModernBERT)
 * data: null                        # JSONL, CSV or TSV; null = the shipped Jargon File pairs
 * columns: null                     # SRC=ROLE,… (anchor, positive, negative, score, label, group); null = by column names
 * output_dir: runs/main
 * train_split: train                # train, test, all, or any value of a split field (a record's split: its split field, else the group rule)
 * eval_split: test                  # the evaluated split; null = no evaluation
 * evaluator: null                   # null = from the data's roles (retrieval, binary-classification, triplet, similarity)
 * max_length: 128                   # tokens per text, training and evaluation
 * quantization: nf4                 # the frozen base while training: nf4, fp4, int8 or none
 * lora_r: 16                        # PEFT's r
 * lora_alpha: 32
 * lora_dropout: 0.0
 * target_modules: [all-linear]      # last names (query, key, value, dense; Wqkv, Wo, Wi), paths, or all-linear
 * use_rslora: false
 * lora_bias: none                   # PEFT's bias: none, all or lora_only
 * modules_to_save: []               # norms trained in full, e.g. [LayerNorm] (BERT) or [norm] (ModernBERT)
 * model_dropout: true               # the model's own dropout while training, as sentence-transformers
 * loss: mnrl                        # LossKind names or sentence-transformers class names
 * matryoshka_dims: [384, 256, 128, 64]   # MatryoshkaLoss and every evaluation; [] for the full embedding only
 * mini_batch_size: 32               # CachedMultipleNegativesRankingLoss's mini_batch_size (GradCache)
 * base_evaluation: true             # stage: evaluate the base model first
 * report: true                      # stage: report.md, report.json (and charts, where the front end draws them)
 * overwrite_output_dir: false       # replace an earlier run in output_dir (--overwrite)
 * resume_from_checkpoint: null      # "latest" or a checkpoint directory (--resume)
 * mining:                           # stage: hard negatives for (anchor, positive) training pairs
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
 * # the trainer's arguments, Hugging Face's names, at the top level:
 * num_train_epochs: 1
 * per_device_train_batch_size: 32
 * gradient_accumulation_steps: 1
 * learning_rate: 2.0e-4
 * weight_decay: 0.01
 * warmup_ratio: 0.1
 * lr_scheduler_type: linear
 * batch_sampler: no_duplicates
 * dataloader_drop_last: false
 * seed: 42
 * logging_steps: 0.01               # a fraction of the run: about 100 loss points whatever its length
 * save_steps: 0.1                   # a checkpoint every 10 % of the run, for resume
 * save_total_limit: 2
 * </pre>
 * The training arguments not listed keep Hugging Face's defaults ({@link TrainingArguments}).
 *
 * <p><b>How {@code finetune}'s defaults relate.</b> {@code embedtune finetune} is this record with three
 * overrides: {@code base_evaluation: false}, {@code report: false}, {@code mining.enabled: false}, and
 * {@code eval_split} null unless {@code --eval-split} is given. Everything else is the defaults above.
 * Before the run specification, {@code finetune} had Hugging Face's trainer defaults (learning rate
 * 5e-5, batch 8, 3 epochs, no warm-up or decay, logging and checkpoints every 500 steps, no
 * Matryoshka); it now trains like the main job unless told otherwise.
 *
 * <h2>Old keys</h2>
 * Keys of earlier file formats still read, each with a warning naming the new key ({@link #ALIASES}):
 * PipelineConfig's {@code dims} and {@code training:} block, {@code finetune --config}'s
 * {@code quantize}, and the HPO space names {@code lora_rank}, {@code batch_size}, {@code epochs},
 * {@code base_model}. Any other unknown key is an error naming the file, the key and the known keys.
 *
 * @param model the base model: {@code builtin:NAME} or a directory
 * @param data the dataset file, or null for the shipped Jargon File pairs
 * @param columns the column mapping ({@code query=anchor,passage=positive,group=group}), or null to
 *     choose it from the column names
 * @param trainSplit the split trained on ({@code train}, {@code test} or {@code all})
 * @param evalSplit the split whose records are evaluated, or null for no evaluation
 * @param evaluator the evaluator's name, or null to choose it from the data's roles
 * @param maxLength tokens per text when training and evaluating
 * @param quantization the frozen base weights while training
 * @param lora the adapters: rank, alpha, dropout, targets, rsLoRA, and the base tensors that train beside them
 * @param modelDropout apply the model's own dropout while training
 * @param loss the loss name
 * @param matryoshkaDims the Matryoshka dimensions (the loss and every evaluation), or empty for none
 * @param miniBatchSize rows per GradCache mini-batch, for losses that embed in mini-batches
 * @param mining hard-negative mining of the training pairs
 * @param baseEvaluation evaluate the base model before training (needs an eval split)
 * @param report write the report (needs both evaluations)
 * @param training the trainer's arguments; its {@code output_dir} is the run's output directory
 * @param overwriteOutputDir replace an earlier run's files in the output directory
 * @param resumeFromCheckpoint null, {@code latest} or a checkpoint directory
 * @param exportOnnx also write the merged model as ONNX ({@code onnx/}: model.onnx, tokenizer.json and
 *     the sentence-transformers files), for the JVM serving stacks (issue 19)
 */
public record RunSpec(String model, Path data, String columns, String trainSplit, String evalSplit, String evaluator,
        int maxLength, BaseQuantization quantization, LoraConfig lora, boolean modelDropout, String loss,
        List<Integer> matryoshkaDims, int miniBatchSize, Mining mining, boolean baseEvaluation, boolean report,
        TrainingArguments training, boolean overwriteOutputDir, String resumeFromCheckpoint, boolean exportOnnx) {

    public static final String DEFAULT_MODEL = "builtin:all-minilm-l6-v2";
    public static final Path DEFAULT_OUTPUT = Path.of("runs/main");
    public static final List<Integer> DEFAULT_DIMS = List.of(384, 256, 128, 64);

    /** The keys of the top level, besides the training arguments ({@link TrainingArguments#KEYS}). */
    public static final List<String> KEYS = List.of("model", "data", "columns", "output_dir", "train_split", "eval_split",
            "evaluator", "max_length", "quantization", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora",
            "lora_bias", "modules_to_save", "model_dropout", "loss", "matryoshka_dims", "mini_batch_size", "base_evaluation",
            "report", "overwrite_output_dir", "resume_from_checkpoint", "mining", "export_onnx");

    /** The keys under {@code mining:}. */
    public static final List<String> MINING_KEYS = List.of("enabled", "scorer", "num_negatives", "range_min", "range_max",
            "absolute_margin", "relative_margin", "max_score", "min_score", "sampling", "format");

    /** Old key → new key; an old key reads with a warning naming the new one. */
    public static final Map<String, String> ALIASES = aliases();

    private static Map<String, String> aliases() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("dims", "matryoshka_dims");                    // PipelineConfig (run --config)
        m.put("quantize", "quantization");                   // finetune --config
        m.put("lora_rank", "lora_r");                        // HPO spaces
        m.put("batch_size", "per_device_train_batch_size");  // HPO spaces
        m.put("epochs", "num_train_epochs");                 // HPO spaces
        m.put("base_model", "model");                        // HPO spaces
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Which scorer ranks the mining candidates. */
    public enum Scorer { BM25, DENSE }

    /**
     * Hard-negative mining of the training pairs ({@code mine_hard_negatives}). It runs only on
     * (anchor, positive) pairs; data of another shape (labelled pairs, triplets) train as they are.
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
     * @throws IllegalArgumentException for non-positive dims, a max length below 2, a bad split, an
     *     unknown loss, or stages that need an evaluation the spec does not have
     */
    public RunSpec {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(trainSplit, "train_split");
        Objects.requireNonNull(quantization, "quantization");
        Objects.requireNonNull(lora, "lora");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(mining, "mining");
        Objects.requireNonNull(training, "training");
        matryoshkaDims = List.copyOf(matryoshkaDims);
        for (int d : matryoshkaDims) {
            if (d < 1) {
                throw new IllegalArgumentException("matryoshka_dims must be positive, got " + matryoshkaDims);
            }
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("max_length must be at least 2 (for [CLS] and [SEP]), got " + maxLength);
        }
        if (miniBatchSize < 1) {
            throw new IllegalArgumentException("mini_batch_size must be at least 1, got " + miniBatchSize);
        }
        if (trainSplit.isBlank()) {
            throw new IllegalArgumentException("train_split must name a split (train, test, all, or a value of the data's split field)");
        }
        if (evalSplit != null && evalSplit.isBlank()) {
            throw new IllegalArgumentException("eval_split must name a split (train, test, all, a value of the data's split field),"
                    + " or be null for no evaluation");
        }
        if (evalSplit == null && (baseEvaluation || report)) {
            throw new IllegalArgumentException((baseEvaluation ? "base_evaluation" : "report") + " needs an eval_split (test, train"
                    + " or all); set eval_split, or base_evaluation: false and report: false");
        }
        if (report && !baseEvaluation) {
            throw new IllegalArgumentException("report compares the base model with the fine-tuned one and needs base_evaluation: true;"
                    + " set report: false to skip it");
        }
        if (evalSplit == null && training.evalSteps() > 0) {
            throw new IllegalArgumentException("eval_steps " + training.evalSteps() + " needs something to evaluate: set eval_split"
                    + " (--eval-split)");
        }
        if (report && matryoshkaDims.isEmpty()) {
            throw new IllegalArgumentException("report tabulates metrics per Matryoshka dimension and needs matryoshka_dims;"
                    + " set them, or report: false");
        }
        if (overwriteOutputDir && resumeFromCheckpoint != null) {
            throw new IllegalArgumentException("overwrite_output_dir and resume_from_checkpoint exclude each other:"
                    + " overwriting deletes the checkpoints a resume needs");
        }
        FineTuneJob.formatsOf(loss);   // rejects an unknown loss name
        if (evaluator != null) {
            dev.embedtune.train.eval.EvaluatorKind.parse(evaluator);   // rejects an unknown evaluator name
        }
    }

    /** The output directory, the trainer's {@code output_dir}. */
    public Path outputDir() {
        return training.outputDir();
    }

    /** The main job's run specification, writing into {@code outputDir}. */
    public static RunSpec defaults(Path outputDir) {
        return fromTree(JsonNodeFactory.instance.objectNode().put("output_dir", outputDir.toString()), "defaults", w -> { });
    }

    /**
     * This spec with some keys replaced, read as a file is (old keys, validation, messages naming
     * {@code source}). {@code mining} merges key by key; a null value restores nothing, it sets null.
     */
    public RunSpec withOverrides(JsonNode overrides, String source, Consumer<String> warnings) {
        ObjectNode merged = toTree();
        ObjectNode given = canonical(overrides, source, warnings);
        for (Iterator<Map.Entry<String, JsonNode>> it = given.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("mining") && e.getValue().isObject()) {
                ((ObjectNode) merged.get("mining")).setAll((ObjectNode) e.getValue());
            } else {
                merged.set(e.getKey(), e.getValue());
            }
        }
        return build(merged, source);
    }

    /** This spec with another output directory (the trainer's {@code output_dir}). */
    public RunSpec withOutputDir(Path dir) {
        return new RunSpec(model, data, columns, trainSplit, evalSplit, evaluator, maxLength, quantization, lora, modelDropout, loss,
                matryoshkaDims, miniBatchSize, mining, baseEvaluation, report, training.toBuilder().outputDir(dir).build(),
                overwriteOutputDir, resumeFromCheckpoint, exportOnnx);
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads the object form of a file (a YAML or JSON file's tree); missing keys take the defaults.
     *
     * @param source names the file (or command) in every message
     * @param warnings receives one line per old key read (naming the new key)
     * @throws IllegalArgumentException naming {@code source} and the key that is unknown, ill-typed or out of range
     */
    public static RunSpec fromTree(JsonNode root, String source, Consumer<String> warnings) {
        ObjectNode tree = defaultTree();
        ObjectNode given = canonical(root == null ? JsonNodeFactory.instance.objectNode() : root, source, warnings);
        for (Iterator<Map.Entry<String, JsonNode>> it = given.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("mining") && e.getValue().isObject()) {
                ((ObjectNode) tree.get("mining")).setAll((ObjectNode) e.getValue());
            } else {
                tree.set(e.getKey(), e.getValue());
            }
        }
        return build(tree, source);
    }

    /** Every default as a tree; the training arguments' are the main job's, where they differ from Hugging Face's. */
    private static ObjectNode defaultTree() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("model", DEFAULT_MODEL);
        o.putNull("data");
        o.putNull("columns");
        o.put("output_dir", DEFAULT_OUTPUT.toString());
        o.put("train_split", "train");
        o.put("eval_split", "test");
        o.putNull("evaluator");
        o.put("max_length", 128);
        o.put("quantization", "nf4");
        o.put("lora_r", 16);
        o.put("lora_alpha", 32.0);
        o.put("lora_dropout", 0.0);
        o.putArray("target_modules").add(LoraConfig.ALL_LINEAR);
        o.put("use_rslora", false);
        o.put("lora_bias", "none");
        o.putArray("modules_to_save");
        o.put("model_dropout", true);
        o.put("loss", "mnrl");
        DEFAULT_DIMS.forEach(o.putArray("matryoshka_dims")::add);
        o.put("mini_batch_size", 32);
        o.put("base_evaluation", true);
        o.put("report", true);
        o.put("overwrite_output_dir", false);
        o.putNull("resume_from_checkpoint");
        o.put("export_onnx", false);
        o.set("mining", miningTree(Mining.defaults(42)));
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

    /**
     * The given object with old keys renamed (one warning each), the {@code training:} block lifted to
     * the top level, and every key checked: an unknown key is an error naming the known ones.
     */
    private static ObjectNode canonical(JsonNode root, String source, Consumer<String> warnings) {
        if (!root.isObject()) {
            throw new IllegalArgumentException(source + ": expected an object of settings (model: …, learning_rate: …), found "
                    + root.getNodeType());
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.equals("training")) {
                JsonNode block = e.getValue();
                if (block.isNull()) {
                    continue;
                }
                if (!block.isObject()) {
                    throw new IllegalArgumentException(source + ": training must be an object of training arguments, found " + block);
                }
                warnings.accept(source + ": the training: block is deprecated; write its keys (" + String.join(", ", fieldNames(block))
                        + ") at the top level");
                for (Iterator<Map.Entry<String, JsonNode>> t = block.fields(); t.hasNext(); ) {
                    Map.Entry<String, JsonNode> a = t.next();
                    if (!TrainingArguments.KEYS.contains(a.getKey())) {
                        throw new IllegalArgumentException(source + ": unknown training argument 'training." + a.getKey()
                                + "'; known keys: " + String.join(", ", TrainingArguments.KEYS));
                    }
                    put(out, a.getKey(), a.getValue(), source, "training." + a.getKey());
                }
                continue;
            }
            String canonical = ALIASES.get(key);
            if (canonical != null) {
                warnings.accept(source + ": '" + key + "' is deprecated; use '" + canonical + "'");
            } else if (!KEYS.contains(key) && !TrainingArguments.KEYS.contains(key)) {
                throw new IllegalArgumentException(source + ": unknown key '" + key + "'; known keys: " + String.join(", ", KEYS)
                        + ", and the training arguments " + String.join(", ", TrainingArguments.KEYS));
            }
            put(out, canonical != null ? canonical : key, e.getValue(), source, key);
        }
        JsonNode mining = out.get("mining");
        if (mining != null && !mining.isNull()) {
            if (!mining.isObject()) {
                throw new IllegalArgumentException(source + ": mining must be an object (enabled: true, scorer: bm25, …), found "
                        + mining);
            }
            for (String k : fieldNames(mining)) {
                if (!MINING_KEYS.contains(k)) {
                    throw new IllegalArgumentException(source + ": unknown key 'mining." + k + "'; known keys under mining: "
                            + String.join(", ", MINING_KEYS));
                }
            }
        } else if (mining != null) {
            out.remove("mining");
        }
        return out;
    }

    private static void put(ObjectNode out, String key, JsonNode value, String source, String as) {
        JsonNode earlier = out.get(key);
        if (earlier != null && !earlier.equals(value)) {
            throw new IllegalArgumentException(source + ": " + key + " is given twice (" + earlier + " and, as " + as + ", " + value
                    + "); keep one");
        }
        out.set(key, value);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The record from a canonical tree holding every key. */
    private static RunSpec build(ObjectNode tree, String source) {
        ObjectNode trainingNode = JsonNodeFactory.instance.objectNode();
        for (String k : TrainingArguments.KEYS) {
            if (tree.has(k) && !tree.get(k).isNull()) {
                trainingNode.set(k, tree.get(k));
            }
        }
        TrainingArguments training = TrainingArguments.fromJson(trainingNode, source);
        SettingsFields f = new SettingsFields(tree, source, "");
        try {
            String resume = null;
            if (f.has("resume_from_checkpoint")) {
                JsonNode r = tree.get("resume_from_checkpoint");
                resume = r.isBoolean() ? (r.booleanValue() ? "latest" : null) : f.text("resume_from_checkpoint");
            }
            return new RunSpec(
                    f.text("model"),
                    f.has("data") ? Path.of(f.text("data")) : null,
                    f.has("columns") ? String.join(",", f.textList("columns")) : null,
                    f.text("train_split"),
                    f.has("eval_split") ? f.text("eval_split") : null,
                    f.has("evaluator") ? f.text("evaluator") : null,
                    f.integer("max_length"),
                    f.parsed("quantization", BaseQuantization::parse),
                    lora(f),
                    f.bool("model_dropout"),
                    f.text("loss"),
                    f.intList("matryoshka_dims"),
                    f.integer("mini_batch_size"),
                    mining(new SettingsFields(tree.get("mining"), source, "mining."), training.seed()),
                    f.bool("base_evaluation"),
                    f.bool("report"),
                    training,
                    f.bool("overwrite_output_dir"),
                    resume,
                    f.bool("export_onnx"));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(source + ":")) {
                throw e;
            }
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static LoraConfig lora(SettingsFields f) {
        int r = f.integer("lora_r");
        double alpha = f.number("lora_alpha");
        if (r < 1) {
            throw f.error("lora_r", "must be at least 1, got " + r);
        }
        if (!(alpha > 0)) {
            throw f.error("lora_alpha", "must be positive, got " + alpha);
        }
        return new LoraConfig(r, alpha, f.number("lora_dropout"), f.textList("target_modules"), f.bool("use_rslora"),
                f.parsed("lora_bias", LoraBias::parse), f.has("modules_to_save") ? f.textList("modules_to_save") : List.of());
    }

    private static Mining mining(SettingsFields f, long seed) {
        return new Mining(
                f.bool("enabled"),
                f.parsed("scorer", s -> enumValue(Scorer.class, s, "bm25 or dense")),
                new MiningOptions(
                        f.integer("range_min"),
                        f.has("range_max") ? (Integer) f.integer("range_max") : null,
                        f.has("max_score") ? (Double) f.number("max_score") : null,
                        f.has("min_score") ? (Double) f.number("min_score") : null,
                        f.has("absolute_margin") ? (Double) f.number("absolute_margin") : null,
                        f.has("relative_margin") ? (Double) f.number("relative_margin") : null,
                        f.integer("num_negatives"),
                        f.parsed("sampling", s -> enumValue(MiningOptions.Sampling.class, s, "top or random")),
                        f.parsed("format", s -> enumValue(MiningOptions.Format.class, s, "triplet or n-tuple")),
                        seed));
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String s, String expected) {
        try {
            return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected " + expected + ", got '" + s + "'");
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * The effective record as one flat object of every key ({@code embedtune run --print-config}),
     * which {@link #fromTree} reads back to an equal record.
     */
    public ObjectNode toTree() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("model", model);
        putOrNull(o, "data", data == null ? null : data.toString());
        putOrNull(o, "columns", columns);
        o.put("output_dir", outputDir().toString());
        o.put("train_split", trainSplit);
        putOrNull(o, "eval_split", evalSplit);
        putOrNull(o, "evaluator", evaluator);
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
        matryoshkaDims.forEach(o.putArray("matryoshka_dims")::add);
        o.put("mini_batch_size", miniBatchSize);
        o.put("base_evaluation", baseEvaluation);
        o.put("report", report);
        o.put("overwrite_output_dir", overwriteOutputDir);
        putOrNull(o, "resume_from_checkpoint", resumeFromCheckpoint);
        o.put("export_onnx", exportOnnx);
        o.set("mining", miningTree(mining));
        ObjectNode t = training.toJson();
        t.remove("output_dir");
        t.remove("eval_strategy");   // eval_steps and save_steps say it (0: "no"), and an override of them must win
        t.remove("save_strategy");
        o.setAll(t);
        return o;
    }

    private static ObjectNode miningTree(Mining mining) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
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
        return m;
    }

    private static void putOrNull(ObjectNode o, String key, Object v) {
        if (v == null) {
            o.putNull(key);
        } else if (v instanceof Integer i) {
            o.put(key, i);
        } else if (v instanceof Number n) {
            o.put(key, n.doubleValue());
        } else {
            o.put(key, v.toString());
        }
    }
}
