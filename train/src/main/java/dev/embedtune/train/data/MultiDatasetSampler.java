package dev.embedtune.train.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains on several datasets at once: every batch comes from one dataset (losses need one format
 * per batch), and the datasets take turns as sentence-transformers' {@code MultiDatasetBatchSamplers}
 * decide.
 */
public final class MultiDatasetSampler {

    /** How the datasets take turns. */
    public enum Mode {
        /** All batches of all datasets, in shuffled order: each dataset is seen in proportion to its size. */
        PROPORTIONAL,
        /** One batch of each dataset in turn; the epoch ends when the dataset with fewest batches runs out. */
        ROUND_ROBIN
    }

    /** One batch: which dataset, and the example indices inside it. */
    public record DatasetBatch(int dataset, int[] indices) {}

    private final List<BatchSampler> samplers;
    private final Mode mode;
    private final long seed;

    public MultiDatasetSampler(List<BatchSampler> samplers, Mode mode, long seed) {
        if (samplers.isEmpty()) {
            throw new IllegalArgumentException("MultiDatasetSampler needs at least one dataset");
        }
        this.samplers = List.copyOf(samplers);
        this.mode = mode;
        this.seed = seed;
    }

    /** The batches of {@code epoch}, in training order. */
    public List<DatasetBatch> batches(int epoch) {
        List<List<int[]>> perDataset = new ArrayList<>();
        for (BatchSampler s : samplers) {
            perDataset.add(s.batches(epoch));
        }
        List<DatasetBatch> out = new ArrayList<>();
        switch (mode) {
            case PROPORTIONAL -> {
                List<DatasetBatch> all = new ArrayList<>();
                for (int d = 0; d < perDataset.size(); d++) {
                    for (int[] b : perDataset.get(d)) {
                        all.add(new DatasetBatch(d, b));
                    }
                }
                // Offset the seed so the interleaving is not correlated with a dataset's own shuffle.
                SplittableRandom random = BatchSampler.random(seed ^ 0x5DEECE66DL, epoch);
                for (int i : BatchSampler.permutation(all.size(), random)) {
                    out.add(all.get(i));
                }
            }
            case ROUND_ROBIN -> {
                int rounds = perDataset.stream().mapToInt(List::size).min().orElse(0);
                for (int r = 0; r < rounds; r++) {
                    for (int d = 0; d < perDataset.size(); d++) {
                        out.add(new DatasetBatch(d, perDataset.get(d).get(r)));
                    }
                }
            }
        }
        return out;
    }
}
