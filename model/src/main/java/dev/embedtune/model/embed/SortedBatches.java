package dev.embedtune.model.embed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * How texts are batched for embedding, by every encoder that embeds lists of texts ({@link Embedder},
 * the training model's evaluation encoder): longest first, as sentence-transformers sorts, so that each
 * batch pads little; results in input order.
 */
public final class SortedBatches {

    private SortedBatches() {
    }

    /**
     * @param batchSize texts per call of {@code embedBatch}
     * @param embedBatch embeds one batch, one row per text in batch order
     */
    public static float[][] encode(List<String> texts, int batchSize, Function<List<String>, float[][]> embedBatch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        float[][] out = new float[texts.size()][];
        Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -texts.get(i).length()));
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            List<String> batch = new ArrayList<>(end - start);
            for (int k = start; k < end; k++) {
                batch.add(texts.get(order[k]));
            }
            float[][] vectors = embedBatch.apply(batch);
            for (int k = start; k < end; k++) {
                out[order[k]] = vectors[k - start];
            }
        }
        return out;
    }
}
