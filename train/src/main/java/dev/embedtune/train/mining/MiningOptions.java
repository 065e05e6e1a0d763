package dev.embedtune.train.mining;

/**
 * The options of sentence-transformers' {@code mine_hard_negatives}, with its defaults.
 *
 * @param rangeMin       candidates ranked above this are skipped (0 = none)
 * @param rangeMax       candidates considered per query; null = range_min + num_negatives (+ ×10 when
 *                       a margin or max_score filters) + the most positives any query has
 * @param maxScore       candidates scoring above are dropped (null = no limit)
 * @param minScore       candidates scoring below are dropped (null = no limit)
 * @param absoluteMargin a candidate must score at most (lowest positive score − margin)
 * @param relativeMargin a candidate must score at most lowest positive score · (1 − margin) (for positive scores)
 * @param numNegatives   negatives per query
 * @param sampling       TOP: the best-scoring remaining candidates; RANDOM: a seeded sample of them
 * @param format         TRIPLET, N_TUPLE or LABELED_PAIR
 */
public record MiningOptions(int rangeMin, Integer rangeMax, Double maxScore, Double minScore,
        Double absoluteMargin, Double relativeMargin, int numNegatives, Sampling sampling, Format format, long seed) {

    public enum Sampling { TOP, RANDOM }

    public enum Format { TRIPLET, N_TUPLE, LABELED_PAIR }

    public static final MiningOptions DEFAULT =
            new MiningOptions(0, null, null, null, null, null, 3, Sampling.TOP, Format.TRIPLET, 42);

    public MiningOptions {
        if (numNegatives < 1) {
            throw new IllegalArgumentException("num_negatives must be at least 1, got " + numNegatives);
        }
        if (rangeMin < 0) {
            throw new IllegalArgumentException("range_min must be non-negative, got " + rangeMin);
        }
    }

    /** range_max as sentence-transformers derives it when not given. */
    int effectiveRangeMax(int maxPositives) {
        int r = rangeMax != null ? rangeMax
                : absoluteMargin != null || relativeMargin != null || maxScore != null
                        ? rangeMin + numNegatives * 10 + maxPositives
                        : rangeMin + numNegatives + maxPositives;
        if (rangeMin >= r) {
            throw new IllegalArgumentException("range_min must be smaller than range_max, got range_min=" + rangeMin
                    + " and range_max=" + r);
        }
        if (numNegatives > r - rangeMin) {
            throw new IllegalArgumentException("cannot mine " + numNegatives + " negatives per query: only "
                    + (r - rangeMin) + " candidates remain between range_min=" + rangeMin + " and range_max=" + r);
        }
        return r;
    }
}
