package dev.embedtune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.train.pipeline.RunSpec;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * How the command-line options of {@code main}, {@code run}, {@code finetune} and {@code hpo} map
 * onto {@link RunSpec} keys: one table, so an option is a key under another spelling. The options a
 * user gave become an object of overrides ({@link #overrides}); the defaults shown in {@code --help}
 * come from the command's base spec ({@link #defaults}), never from the annotations.
 */
final class SpecOptions {

    private SpecOptions() {
    }

    /** Option name → run-spec key. */
    static final Map<String, String> KEYS = keys();

    /** Flags that set their key to false when given. */
    private static final Set<String> NEGATED = Set.of("--no-model-dropout");

    private static Map<String, String> keys() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("--model", "model");
        m.put("--data", "data");
        m.put("--train", "data");
        m.put("--columns", "columns");
        m.put("--output", "output_dir");
        m.put("--out", "output_dir");
        m.put("--split", "train_split");
        m.put("--eval-split", "eval_split");
        m.put("--evaluator", "evaluator");
        m.put("--max-length", "max_length");
        m.put("--quantize", "quantization");
        m.put("--quantization", "quantization");
        m.put("--lora-r", "lora_r");
        m.put("--lora-alpha", "lora_alpha");
        m.put("--lora-dropout", "lora_dropout");
        m.put("--targets", "target_modules");
        m.put("--rslora", "use_rslora");
        m.put("--lora-bias", "lora_bias");
        m.put("--modules-to-save", "modules_to_save");
        m.put("--no-model-dropout", "model_dropout");
        m.put("--loss", "loss");
        m.put("--dims", "matryoshka_dims");
        m.put("--matryoshka-dims", "matryoshka_dims");
        m.put("--mini-batch-size", "mini_batch_size");
        m.put("--overwrite", "overwrite_output_dir");
        m.put("--resume", "resume_from_checkpoint");
        m.put("--export-onnx", "export_onnx");
        m.put("--epochs", "num_train_epochs");
        m.put("--max-steps", "max_steps");
        m.put("--batch-size", "per_device_train_batch_size");
        m.put("--grad-accum", "gradient_accumulation_steps");
        m.put("--lr", "learning_rate");
        m.put("--warmup-ratio", "warmup_ratio");
        m.put("--warmup-steps", "warmup_steps");
        m.put("--scheduler", "lr_scheduler_type");
        m.put("--weight-decay", "weight_decay");
        m.put("--max-grad-norm", "max_grad_norm");
        m.put("--logging-steps", "logging_steps");
        m.put("--eval-steps", "eval_steps");
        m.put("--save-steps", "save_steps");
        m.put("--save-total-limit", "save_total_limit");
        m.put("--seed", "seed");
        m.put("--batch-sampler", "batch_sampler");
        m.put("--drop-last", "dataloader_drop_last");
        m.put("--no-progress", "disable_tqdm");
        m.put("--gradient-checkpointing", "gradient_checkpointing");
        m.put("--max-memory", "max_memory");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The options given on the command line, as run-spec keys and values. */
    static ObjectNode overrides(ParseResult given) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (OptionSpec option : given.matchedOptions()) {
            String key = KEYS.get(option.longestName());
            if (key == null) {
                continue;
            }
            Object value = option.getValue();
            o.set(key, NEGATED.contains(option.longestName()) ? JsonNodeFactory.instance.booleanNode(!(Boolean) value) : json(value));
        }
        return o;
    }

    private static JsonNode json(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v == null) {
            return f.nullNode();
        }
        if (v instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (v instanceof Integer i) {
            return f.numberNode(i);
        }
        if (v instanceof Long l) {
            return f.numberNode(l);
        }
        if (v instanceof Number n) {
            return f.numberNode(n.doubleValue());
        }
        if (v instanceof Collection<?> c) {
            ArrayNode a = f.arrayNode();
            c.forEach(e -> a.add(json(e)));
            return a;
        }
        if (v instanceof Path p) {
            return f.textNode(p.toString());
        }
        return f.textNode(v.toString());
    }

    /**
     * The defaults of {@code base} for the options mapped to keys, for picocli's {@code ${DEFAULT-VALUE}}
     * in help texts; lists as comma-separated values, a null as no default.
     */
    static IDefaultValueProvider defaults(RunSpec base) {
        ObjectNode tree = base.toTree();
        return (ArgSpec arg) -> {
            if (!(arg instanceof OptionSpec option) || NEGATED.contains(option.longestName()) || option.arity().max() == 0) {
                return null;
            }
            String key = KEYS.get(option.longestName());
            JsonNode v = key == null ? null : tree.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (v.isArray()) {
                StringBuilder b = new StringBuilder();
                v.forEach(e -> b.append(b.length() == 0 ? "" : ",").append(e.asText()));
                return b.length() == 0 ? null : b.toString();
            }
            return v.asText();
        };
    }
}
