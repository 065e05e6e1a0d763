package dev.embedtune.train.trainer;

import dev.embedtune.train.data.BatchSampler;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.NoDuplicatesBatchSampler;
import dev.embedtune.train.data.ShuffledBatchSampler;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * sentence-transformers' {@code BatchSamplers} values that the trainer supports, by their
 * {@code batch_sampler} names.
 */
public enum BatchSamplerType {
    /** {@code BatchSamplers.BATCH_SAMPLER}: shuffle, then cut into batches. */
    BATCH_SAMPLER("batch_sampler"),
    /** {@code BatchSamplers.NO_DUPLICATES}: no text twice in a batch, for in-batch negatives. */
    NO_DUPLICATES("no_duplicates");

    private final String hfName;

    BatchSamplerType(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    /** The sampler over {@code data}; its batches depend only on (seed, epoch). */
    public BatchSampler create(Dataset data, int batchSize, long seed, boolean dropLast) {
        return switch (this) {
            case BATCH_SAMPLER -> new ShuffledBatchSampler(data.size(), batchSize, seed, dropLast);
            case NO_DUPLICATES -> new NoDuplicatesBatchSampler(data.examples(), batchSize, seed, dropLast);
        };
    }

    /**
     * The sampler named {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the value and listing the supported ones
     */
    public static BatchSamplerType parse(String name) {
        for (BatchSamplerType t : values()) {
            if (t.hfName.equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown batch_sampler \"" + name + "\"; supported: "
                + Arrays.stream(values()).map(BatchSamplerType::hfName).collect(Collectors.joining(", ")));
    }
}
