package dev.embedtune.train.data;

import java.util.List;

/**
 * Splits one dataset's example indices into batches for one epoch. The same seed and epoch give the
 * same batches; another epoch gives another order.
 */
public interface BatchSampler {

    /** The batches of {@code epoch}, each an array of example indices. */
    List<int[]> batches(int epoch);

    /** A random generator for one epoch, so epochs differ and a seed reproduces them. */
    static java.util.SplittableRandom random(long seed, int epoch) {
        return new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
    }

    /** Fisher–Yates shuffle of {@code 0 … n-1}. */
    static int[] permutation(int n, java.util.SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
