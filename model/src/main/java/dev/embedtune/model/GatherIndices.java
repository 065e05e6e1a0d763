package dev.embedtune.model;

/**
 * The check before an embedding lookup: ND4J's native gather reads out of bounds (and the JVM dies
 * with SIGSEGV) for an index outside the table, so every index is checked in Java first. One pass
 * over the B·T indices; negligible beside the gather itself.
 */
public final class GatherIndices {
    private GatherIndices() {
    }

    /**
     * @throws IndexOutOfBoundsException naming the index, its position and the table's row count
     * @throws IllegalArgumentException for no indices at all, which ND4J's gather cannot take
     */
    public static void requireInRange(int[] indices, long rows) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("an embedding lookup of no tokens: every text of the batch tokenised to "
                    + "nothing (its tokenizer adds no special tokens, and the texts are empty)");
        }
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= rows) {
                throw new IndexOutOfBoundsException("embedding lookup index " + indices[i] + " (position " + i + " of "
                        + indices.length + ") is outside the table's " + rows + " rows [0, " + rows + "); token ids "
                        + "must come from the model's own tokenizer and token type ids from its post-processor");
            }
        }
    }

    /** The same for a [B, T] batch of ids. */
    public static void requireInRange(int[][] indices, long rows) {
        for (int b = 0; b < indices.length; b++) {
            for (int t = 0; t < indices[b].length; t++) {
                if (indices[b][t] < 0 || indices[b][t] >= rows) {
                    throw new IndexOutOfBoundsException("embedding lookup index " + indices[b][t] + " (row " + b
                            + ", token " + t + ") is outside the table's " + rows + " rows [0, " + rows + "); token ids "
                            + "must come from the model's own tokenizer and token type ids from its post-processor");
                }
            }
        }
    }
}
