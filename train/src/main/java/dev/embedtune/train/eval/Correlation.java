package dev.embedtune.train.eval;

import java.util.Arrays;

/** Pearson and Spearman correlation, as {@code scipy.stats.pearsonr} and {@code spearmanr} compute them. */
public final class Correlation {

    private Correlation() {}

    /** Pearson's r; NaN when either side is constant (scipy warns and returns NaN too). */
    public static double pearson(double[] x, double[] y) {
        checkLengths(x, y);
        double mx = mean(x), my = mean(y);
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /** Spearman's ρ: Pearson's r of the ranks, tied values sharing their average rank. */
    public static double spearman(double[] x, double[] y) {
        checkLengths(x, y);
        return pearson(averageRanks(x), averageRanks(y));
    }

    /** 1-based ranks; a run of equal values gets the mean of the ranks it spans (scipy's {@code rankdata} "average"). */
    public static double[] averageRanks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(v[a], v[b]));
        double[] ranks = new double[v.length];
        int i = 0;
        while (i < v.length) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1; // ranks i+1 … j+1
            for (int t = i; t <= j; t++) {
                ranks[order[t]] = avg;
            }
            i = j + 1;
        }
        return ranks;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s / v.length;
    }

    private static void checkLengths(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) {
            throw new IllegalArgumentException("correlation needs two series of equal length >= 2, got "
                    + x.length + " and " + y.length);
        }
    }
}
