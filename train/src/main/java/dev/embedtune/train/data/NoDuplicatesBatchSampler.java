package dev.embedtune.train.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Batches in which no text occurs twice (over all text columns of all examples), so that in-batch
 * negatives of MultipleNegativesRankingLoss are true negatives — sentence-transformers'
 * {@code BatchSamplers.NO_DUPLICATES}.
 *
 * <p>Examples are visited in a shuffled order and put into the first open batch none of whose texts
 * they repeat (first fit); a new batch is opened when none fits, and a batch is emitted as soon as it
 * is full. Every example is placed exactly once per epoch. sentence-transformers rescans its list of
 * remaining examples from the front for every batch, which is quadratic when many examples conflict;
 * first fit costs one set probe per open batch tried, and only examples that share a text with an
 * open batch try more than one. {@link #lastProbeCount()} reports the work done, so tests can bound it.
 */
public final class NoDuplicatesBatchSampler implements BatchSampler {

    private final List<Example> examples;
    private final int batchSize;
    private final long seed;
    private final boolean dropLast;
    private long probes;

    /**
     * @param dropLast drop batches smaller than {@code batchSize} left open at the end of the epoch
     */
    public NoDuplicatesBatchSampler(List<Example> examples, int batchSize, long seed, boolean dropLast) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        this.examples = List.copyOf(examples);
        this.batchSize = batchSize;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    private static final class OpenBatch {
        final int[] indices;
        int size;
        final Set<String> texts = new HashSet<>();

        OpenBatch(int capacity) {
            indices = new int[capacity];
        }
    }

    @Override
    public List<int[]> batches(int epoch) {
        probes = 0;
        int[] order = BatchSampler.permutation(examples.size(), BatchSampler.random(seed, epoch));
        List<OpenBatch> open = new ArrayList<>();
        List<int[]> out = new ArrayList<>();
        for (int index : order) {
            List<String> texts = examples.get(index).texts();
            OpenBatch target = null;
            int slot = 0;
            for (; slot < open.size(); slot++) {
                OpenBatch b = open.get(slot);
                probes++;
                if (!sharesText(b.texts, texts)) {
                    target = b;
                    break;
                }
            }
            if (target == null) {
                target = new OpenBatch(batchSize);
                open.add(target);
            }
            target.indices[target.size++] = index;
            target.texts.addAll(texts);
            if (target.size == batchSize) {
                out.add(target.indices);
                open.remove(slot);
            }
        }
        if (!dropLast) {
            for (OpenBatch b : open) {
                out.add(java.util.Arrays.copyOf(b.indices, b.size));
            }
        }
        return out;
    }

    private static boolean sharesText(Set<String> batchTexts, List<String> texts) {
        for (String t : texts) {
            if (batchTexts.contains(t)) {
                return true;
            }
        }
        return false;
    }

    /** How many (example, open batch) checks the last {@link #batches} call made. */
    public long lastProbeCount() {
        return probes;
    }
}
