package dev.embedtune.model.embed;

/** sentence-transformers' {@code quantize_embeddings} (definitions in {@link Precision}). */
public final class EmbeddingQuantizer {
    private EmbeddingQuantizer() {
    }

    /**
     * Per-dimension [min, max] over the rows of {@code embeddings}: {@code [2][D]}.
     *
     * @throws IllegalArgumentException for no rows
     */
    public static float[][] ranges(float[][] embeddings) {
        if (embeddings.length == 0) {
            throw new IllegalArgumentException("int8/uint8 ranges need at least one embedding");
        }
        int d = embeddings[0].length;
        float[][] r = new float[2][d];
        System.arraycopy(embeddings[0], 0, r[0], 0, d);
        System.arraycopy(embeddings[0], 0, r[1], 0, d);
        for (float[] e : embeddings) {
            for (int j = 0; j < d; j++) {
                r[0][j] = Math.min(r[0][j], e[j]);
                r[1][j] = Math.max(r[1][j], e[j]);
            }
        }
        return r;
    }

    /**
     * Integer codes of each embedding: D values for INT8 / UINT8, ⌈D/8⌉ bytes for BINARY / UBINARY.
     *
     * @param ranges [2][D] per-dimension min and max for INT8 / UINT8, or null to take them from
     *               {@code embeddings}; ignored for the binary precisions
     */
    public static int[][] quantize(float[][] embeddings, Precision precision, float[][] ranges) {
        return switch (precision) {
            case FLOAT32 -> throw new IllegalArgumentException("float32 needs no quantisation");
            case INT8, UINT8 -> scalar(embeddings, ranges != null ? ranges : ranges(embeddings), precision == Precision.INT8 ? 128 : 0);
            case BINARY, UBINARY -> packBits(embeddings, precision == Precision.BINARY ? 128 : 0);
        };
    }

    private static int[][] scalar(float[][] embeddings, float[][] ranges, int shift) {
        int d = ranges[0].length;
        float[] steps = new float[d];
        for (int j = 0; j < d; j++) {
            steps[j] = (ranges[1][j] - ranges[0][j]) / 255f;   // float32 arithmetic, as numpy on float32 input
            if (steps[j] == 0f) {
                steps[j] = 1f;
            }
        }
        int[][] out = new int[embeddings.length][d];
        for (int i = 0; i < embeddings.length; i++) {
            if (embeddings[i].length != d) {
                throw new IllegalArgumentException("embedding " + i + " has " + embeddings[i].length + " dimensions, ranges " + d);
            }
            for (int j = 0; j < d; j++) {
                double q = Math.floor((embeddings[i][j] - ranges[0][j]) / steps[j]);
                out[i][j] = (int) Math.max(0, Math.min(255, q)) - shift;
            }
        }
        return out;
    }

    private static int[][] packBits(float[][] embeddings, int shift) {
        int[][] out = new int[embeddings.length][];
        for (int i = 0; i < embeddings.length; i++) {
            float[] e = embeddings[i];
            int[] bytes = new int[(e.length + 7) / 8];
            for (int j = 0; j < e.length; j++) {
                if (e[j] > 0) {
                    bytes[j / 8] |= 0x80 >>> (j % 8);   // first dimension in the most significant bit
                }
            }
            for (int b = 0; b < bytes.length; b++) {
                bytes[b] -= shift;
            }
            out[i] = bytes;
        }
        return out;
    }
}
