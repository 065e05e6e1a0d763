package dev.embedtune.train.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batches made of runs of {@code samplesPerLabel} examples sharing a key (a label or a group), so
 * that batch-triplet losses (BatchHardTripletLoss and friends) find a positive for every anchor in
 * the batch — the role of sentence-transformers' {@code BatchSamplers.GROUP_BY_LABEL}.
 *
 * <p>Each epoch shuffles every key's examples, cuts them into runs of {@code samplesPerLabel}
 * (a key's leftover examples that cannot make a whole run sit out that epoch; keys with fewer than
 * {@code samplesPerLabel} examples never appear), shuffles the runs and concatenates them into
 * batches. A key may contribute several runs to one batch.
 */
public final class GroupByLabelBatchSampler implements BatchSampler {

    private final List<int[]> byKey;
    private final int batchSize;
    private final int samplesPerLabel;
    private final long seed;
    private final boolean dropLast;

    /**
     * @param keys one key per example (e.g. its label or group)
     * @param batchSize a multiple of {@code samplesPerLabel}
     * @param samplesPerLabel the run length, at least 2
     */
    public GroupByLabelBatchSampler(List<?> keys, int batchSize, int samplesPerLabel, long seed, boolean dropLast) {
        if (samplesPerLabel < 2) {
            throw new IllegalArgumentException("samplesPerLabel must be at least 2, got " + samplesPerLabel);
        }
        if (batchSize < samplesPerLabel || batchSize % samplesPerLabel != 0) {
            throw new IllegalArgumentException("batchSize must be a positive multiple of samplesPerLabel ("
                    + samplesPerLabel + "), got " + batchSize);
        }
        Map<Object, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            Object key = keys.get(i);
            if (key == null) {
                throw new IllegalArgumentException("example " + i + " has no label/group to group by");
            }
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        this.byKey = new ArrayList<>();
        for (List<Integer> members : groups.values()) {
            if (members.size() >= samplesPerLabel) {
                byKey.add(members.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        this.batchSize = batchSize;
        this.samplesPerLabel = samplesPerLabel;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    /** Groups by each example's label ({@link ExampleFormat#PAIR_LABEL} or score data). */
    public static GroupByLabelBatchSampler byLabel(List<Example> examples, int batchSize, long seed) {
        return new GroupByLabelBatchSampler(examples.stream().map(Example::label).toList(), batchSize, 2, seed, false);
    }

    /** Groups by each example's group. */
    public static GroupByLabelBatchSampler byGroup(List<Example> examples, int batchSize, long seed) {
        return new GroupByLabelBatchSampler(examples.stream().map(Example::group).toList(), batchSize, 2, seed, false);
    }

    @Override
    public List<int[]> batches(int epoch) {
        SplittableRandom random = BatchSampler.random(seed, epoch);
        List<int[]> runs = new ArrayList<>();
        for (int[] members : byKey) {
            int[] order = BatchSampler.permutation(members.length, random);
            for (int start = 0; start + samplesPerLabel <= members.length; start += samplesPerLabel) {
                int[] run = new int[samplesPerLabel];
                for (int j = 0; j < samplesPerLabel; j++) {
                    run[j] = members[order[start + j]];
                }
                runs.add(run);
            }
        }
        int[] runOrder = BatchSampler.permutation(runs.size(), random);
        int runsPerBatch = batchSize / samplesPerLabel;
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start < runOrder.length; start += runsPerBatch) {
            int end = Math.min(runOrder.length, start + runsPerBatch);
            if (end - start < runsPerBatch && dropLast) {
                break;
            }
            int[] batch = new int[(end - start) * samplesPerLabel];
            for (int r = start; r < end; r++) {
                System.arraycopy(runs.get(runOrder[r]), 0, batch, (r - start) * samplesPerLabel, samplesPerLabel);
            }
            out.add(batch);
        }
        return out;
    }
}
