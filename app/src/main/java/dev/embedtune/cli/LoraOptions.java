package dev.embedtune.cli;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * The LoRA options of the training commands ({@code finetune}, {@code hpo}), PEFT's
 * {@code LoraConfig} fields by their command-line names, plus whether the model's own dropout applies.
 * A picocli mixin: each command declares {@code @Mixin LoraOptions lora}; the values reach the run
 * specification through {@link SpecOptions} (each option is a key: {@code --lora-r} is {@code lora_r}).
 */
public final class LoraOptions {

    @Option(names = "--lora-r", paramLabel = "R", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    Integer r;

    @Option(names = "--lora-alpha", paramLabel = "ALPHA",
            description = "LoRA alpha; the adapter is scaled by alpha/r (default: ${DEFAULT-VALUE}).")
    Double alpha;

    @Option(names = "--lora-dropout", paramLabel = "P",
            description = "LoRA dropout on each adapter's input while training (default: ${DEFAULT-VALUE}).")
    Double dropout;

    @Option(names = "--rslora", description = "Rank-stabilised scale alpha/√r instead of alpha/r (PEFT's use_rslora).")
    boolean rslora;

    @Option(names = "--lora-bias", paramLabel = "none|all|lora_only",
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

    @Option(names = "--targets", split = ",", paramLabel = "MODULE",
            description = "Module names that get adapters, PEFT-style: last names (BERT query,key,value,dense; "
                    + "ModernBERT Wqkv,Wo,Wi), module paths, or all-linear (default: ${DEFAULT-VALUE}).")
    List<String> targets;
}
