package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Batched encoding with checks on what the encoder returns, and the vector helpers evaluators share. */
public final class Encoding {

    /** Texts per {@link TextEncoder#encode} call unless an evaluator is told otherwise. */
    public static final int DEFAULT_BATCH_SIZE = 64;

    private Encoding() {}

    /**
     * Encodes {@code texts} in batches of {@code batchSize}.
     *
     * @return {@code [texts.size()][D]}
     * @throws IllegalStateException if the encoder returns the wrong number of rows or rows of differing width
     */
    public static float[][] encode(TextEncoder encoder, List<String> texts, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        float[][] out = new float[texts.size()][];
        int dim = -1;
        for (int start = 0; start < texts.size(); start += batchSize) {
            List<String> batch = texts.subList(start, Math.min(texts.size(), start + batchSize));
            float[][] rows = encoder.encode(batch);
            if (rows.length != batch.size()) {
                throw new IllegalStateException("encoder returned " + rows.length + " embeddings for "
                        + batch.size() + " texts");
            }
            for (int i = 0; i < rows.length; i++) {
                if (dim < 0) {
                    dim = rows[i].length;
                } else if (rows[i].length != dim) {
                    throw new IllegalStateException("encoder returned an embedding of dimension " + rows[i].length
                            + " for text " + (start + i) + ", expected " + dim + " as before");
                }
                out[start + i] = rows[i];
            }
        }
        return out;
    }

    /**
     * Encodes each distinct text once and returns one row per input text; rows of equal texts are the
     * same array.
     */
    public static float[][] encodeDistinct(TextEncoder encoder, List<String> texts, int batchSize) {
        Map<String, Integer> slot = new HashMap<>();
        List<String> distinct = new ArrayList<>();
        int[] where = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            where[i] = slot.computeIfAbsent(texts.get(i), t -> {
                distinct.add(t);
                return distinct.size() - 1;
            });
        }
        float[][] unique = encode(encoder, distinct, batchSize);
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = unique[where[i]];
        }
        return out;
    }

    /** A copy of {@code v} scaled to unit length; a zero vector stays zero (norm clamped at 1e-12). */
    public static float[] l2Normalized(float[] v) {
        double n = Math.max(SimilarityFunction.norm(v), 1e-12);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / n);
        }
        return out;
    }
}
