package dev.embedtune.train.trainer;

import dev.embedtune.model.training.TrainingEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a training run fits a memory budget ({@code max_memory}). A step keeps one pass of activations
 * per text column (anchor, positive, negatives…) alive from its forward to its backward; the plan
 * takes the first of these that fits what the budget leaves beside the memory already in use (the
 * model, the quantised base, the JVM and ND4J, measured when the plan is made):
 * <ol>
 *   <li>as configured (every layer's activations kept);</li>
 *   <li>gradient checkpointing: each layer's input kept, the layer recomputed in the backward (the
 *       same gradients; about one more forward of compute);</li>
 *   <li>and GradCache mini-batches of m rows (m halved until it fits): the batch is embedded a
 *       mini-batch at a time, the loss and its gradient taken on the full batch, then each
 *       mini-batch run again with its backward (the same loss and gradients for any loss computed
 *       from embeddings; one more forward again), so only one mini-batch's activations are ever
 *       alive.</li>
 * </ol>
 * When even one sequence with checkpointing does not fit, the run is refused before it starts,
 * with the numbers. Activation sizes come from the encoder's own pass layout
 * ({@link TrainingEncoder#passBytes}), for the longest text of the data (tokenised) or max_length,
 * whichever is shorter, and every text that long: an upper bound of what a batch needs.
 *
 * @param budgetBytes max_memory
 * @param inUseBytes the process's resident memory when the plan was made, plus a margin for what
 *     training adds besides activations (gradients, optimiser moments, OpenBLAS buffers, heap growth)
 * @param activationBytes the activations of one step under this plan
 * @param checkpointing gradient checkpointing on
 * @param miniBatch GradCache mini-batch rows, 0 for whole batches
 */
public record MemoryPlan(long budgetBytes, long inUseBytes, long activationBytes, boolean checkpointing, int miniBatch) {
    /** Beside the resident memory measured before training: gradients, AdamW moments, buffers, heap growth. */
    public static final long MARGIN_BYTES = 256L << 20;
    /**
     * Temporaries a pass adds within a step besides its arena (the hidden states' gradient, pooling,
     * the loss's buffers, ND4J's own results), per token of the pass and unit of hidden size, in
     * bytes: 0.8–1 GB measured on 16,384-token passes of hidden size 768 (bge-base and
     * ModernBERT-base shapes, docs/BENCHMARKS.md "Memory"), i.e. about 20 floats per hidden unit.
     */
    public static final long TEMPORARY_BYTES_PER_TOKEN_AND_HIDDEN = 20L * Float.BYTES;

    /**
     * @param encoder the model's training encoder (its checkpointing setting is the starting point)
     * @param batchSize rows per step
     * @param tokens the longest sequence a batch may hold (padded length)
     * @param columns text columns per example
     * @param budgetBytes max_memory
     * @param inUseBytes memory in use before training (see {@link #residentBytes})
     * @throws IllegalArgumentException when the run cannot fit
     */
    public static MemoryPlan choose(TrainingEncoder encoder, int batchSize, int tokens, int columns, long budgetBytes,
            long inUseBytes) {
        return choose(encoder, batchSize, tokens, columns, budgetBytes, inUseBytes, 0);
    }

    /**
     * As {@link #choose(TrainingEncoder, int, int, int, long, long)}, with {@code temporaryBytesPerToken}
     * counted beside every option's activations for the tokens of the pass it runs at a time (see
     * {@link #TEMPORARY_BYTES_PER_TOKEN_AND_HIDDEN}): a plan at the edge of its budget then stays
     * under it.
     */
    public static MemoryPlan choose(TrainingEncoder encoder, int batchSize, int tokens, int columns, long budgetBytes,
            long inUseBytes, long temporaryBytesPerToken) {
        long available = budgetBytes - inUseBytes;
        boolean checkpointing = encoder.checkpointing();
        long wholeBatchTemporaries = temporaryBytesPerToken * batchSize * tokens;
        long full = columns * encoder.passBytes(batchSize, tokens, (long) batchSize * tokens, true);
        if (full + wholeBatchTemporaries <= available) {
            return new MemoryPlan(budgetBytes, inUseBytes, full, checkpointing, 0);
        }
        if (!checkpointing) {
            encoder.setGradientCheckpointing(true);
            long withCheckpoints = columns * encoder.passBytes(batchSize, tokens, (long) batchSize * tokens, true);
            if (withCheckpoints + wholeBatchTemporaries <= available) {
                return new MemoryPlan(budgetBytes, inUseBytes, withCheckpoints, true, 0);
            }
        }
        for (int m = Math.max(1, batchSize / 2); ; m = Math.max(1, m / 2)) {
            // one mini-batch's pass at a time, beside every row's embedding (small: rows × dim floats)
            long need = encoder.passBytes(m, tokens, (long) m * tokens, true);
            if (need + temporaryBytesPerToken * m * tokens <= available) {
                return new MemoryPlan(budgetBytes, inUseBytes, need, true, m);
            }
            if (m == 1) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "max_memory %s cannot fit this run: %s are in use before training (model, quantised base, JVM), "
                        + "and one sequence of %d tokens needs %s of activations and temporaries even with gradient "
                        + "checkpointing and GradCache mini-batches of 1; raise max_memory or lower max_length",
                        format(budgetBytes), format(inUseBytes), tokens, format(need + temporaryBytesPerToken * tokens)));
            }
        }
    }

    /** What a log line says: the choice and the numbers. */
    public String summary() {
        String how = !checkpointing ? "every layer's activations kept"
                : miniBatch == 0 ? "gradient checkpointing" : "gradient checkpointing and GradCache mini-batches of " + miniBatch;
        return String.format(Locale.ROOT, "memory: max_memory %s, %s in use before training, %s of activations a step (%s)",
                format(budgetBytes), format(inUseBytes), format(activationBytes), how);
    }

    /** "6g", "1500m", "512k", "1073741824" (bytes), "2.5g": the bytes; an error names the expected form. */
    public static long parseBytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> unit = 1L << 10;
            case 'm' -> unit = 1L << 20;
            case 'g' -> unit = 1L << 30;
            case 't' -> unit = 1L << 40;
            default -> unit = 1;
        }
        String number = unit == 1 ? t : t.substring(0, t.length() - 1);
        double value;
        try {
            value = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("max_memory must be a size such as 6g, 1500m or 512k, got \"" + text + "\"");
        }
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("max_memory must be positive, got \"" + text + "\"");
        }
        return (long) (value * unit);
    }

    /** The process's resident memory now (Linux /proc/self/status VmRSS), or 0 where unknown. */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: the budget then covers activations only
        }
        return 0;
    }

    static String format(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.0f MB", bytes / (double) (1L << 20));
    }
}
