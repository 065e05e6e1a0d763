package dev.embedtune.cli;

import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The LoRA options of the training commands ({@code finetune}, {@code hpo}), PEFT's
 * {@code LoraConfig} fields by their command-line names, plus whether the model's own dropout applies.
 * A picocli mixin: each command declares {@code @Mixin LoraOptions lora}.
 */
public final class LoraOptions {

    @Option(names = "--lora-r", defaultValue = "16", paramLabel = "R", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int r;

    @Option(names = "--lora-alpha", defaultValue = "32", paramLabel = "ALPHA",
            description = "LoRA alpha; the adapter is scaled by alpha/r (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--lora-dropout", defaultValue = "0", paramLabel = "P",
            description = "LoRA dropout on each adapter's input while training (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--rslora", description = "Rank-stabilised scale alpha/√r instead of alpha/r (PEFT's use_rslora).")
    boolean rslora;

    @Option(names = "--lora-bias", defaultValue = "none", paramLabel = "none|all|lora_only",
            description = "Biases that train too, as PEFT's bias: all (every bias, norm biases included) or those of "
                    + "the adapted linears (default: ${DEFAULT-VALUE}).")
    String bias;

    @Option(names = "--modules-to-save", split = ",", paramLabel = "MODULE",
            description = "Norm modules trained in full and saved with the adapter, as PEFT's modules_to_save, e.g. "
                    + "LayerNorm (all of BERT's) or norm (all of ModernBERT's) (default: none).")
    List<String> modulesToSave;

    @Option(names = "--no-model-dropout",
            description = "Train without the model's own dropout (default: applied, as sentence-transformers does).")
    boolean noModelDropout;

    @Option(names = "--targets", split = ",", defaultValue = LoraConfig.ALL_LINEAR, paramLabel = "MODULE",
            description = "Module names that get adapters, PEFT-style: last names (BERT query,key,value,dense; "
                    + "ModernBERT Wqkv,Wo,Wi), module paths, or all-linear (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    /** The options as a LoRA config; a bad value is an IllegalArgumentException naming the option. */
    LoraConfig config() {
        return new LoraConfig(r, alpha, dropout, targets, rslora, parseBias(bias), modulesToSave == null ? List.of() : modulesToSave);
    }

    /** PEFT's bias value, or an error naming the option and the config key. */
    static LoraBias parseBias(String value) {
        try {
            return LoraBias.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--lora-bias (lora_bias): " + e.getMessage(), e);
        }
    }

    boolean modelDropout() {
        return !noModelDropout;
    }
}
