package dev.embedtune.cli;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * The model and loss options of the training commands ({@code finetune}, {@code hpo}): run-spec keys
 * {@code quantization}, {@code loss}, {@code matryoshka_dims}, {@code mini_batch_size} and
 * {@code max_length} by their command-line names ({@link SpecOptions}). In {@code hpo} a searched
 * hyperparameter of the same key wins over the option. A picocli mixin.
 */
public final class ModelOptions {

    @Option(names = "--quantize", paramLabel = "nf4|fp4|int8|none",
            description = "How the frozen base weights are held while training, key quantization (default: ${DEFAULT-VALUE}).")
    String quantize;

    @Option(names = "--loss", paramLabel = "NAME",
            description = "mnrl, cached-mnrl, mnrl-symmetric, cosent, angle, triplet, contrastive or online-contrastive "
                    + "(default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--matryoshka-dims", split = ",", paramLabel = "D",
            description = "Wrap the loss in MatryoshkaLoss over these dimensions, e.g. 384,256,128,64 (default: none).")
    List<Integer> matryoshkaDims;

    @Option(names = "--mini-batch-size", paramLabel = "N",
            description = "mini_batch_size: rows per GradCache mini-batch of cached-mnrl (default: ${DEFAULT-VALUE}).")
    Integer miniBatchSize;

    @Option(names = "--max-length", paramLabel = "TOKENS", description = "Tokens per text (default: ${DEFAULT-VALUE}).")
    Integer maxLength;
}
