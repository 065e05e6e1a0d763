package dev.embedtune.train.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Shuffles all indices each epoch and cuts them into batches of {@code batchSize}. */
public final class ShuffledBatchSampler implements BatchSampler {

    private final int size;
    private final int batchSize;
    private final long seed;
    private final boolean dropLast;

    /**
     * @param size the number of examples
     * @param dropLast drop the last batch if it is smaller than {@code batchSize}
     */
    public ShuffledBatchSampler(int size, int batchSize, long seed, boolean dropLast) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    @Override
    public List<int[]> batches(int epoch) {
        int[] order = BatchSampler.permutation(size, BatchSampler.random(seed, epoch));
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start < size; start += batchSize) {
            int end = Math.min(size, start + batchSize);
            if (end - start < batchSize && dropLast) {
                break;
            }
            out.add(Arrays.copyOfRange(order, start, end));
        }
        return out;
    }
}
