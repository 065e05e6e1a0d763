package dev.embedtune.train.loss;

/**
 * The distances {@link ContrastiveLoss} and {@link OnlineContrastiveLoss} can use, as
 * sentence-transformers' {@code SiameseDistanceMetric}.
 *
 * <p>The Euclidean and Manhattan forms are PyTorch's {@code F.pairwise_distance(x, y, p)}, which adds
 * {@code eps = 1e-6} to every component of {@code x - y} before taking the norm; that offset is kept.
 * The cosine form normalises each row by {@code max(|x|, 1e-12)}; PyTorch's {@code F.cosine_similarity}
 * clamps with {@code 1e-8} instead, which differs only for rows of norm below {@code 1e-8}.
 */
public enum SiameseDistanceMetric {
    /** {@code |x - y + 1e-6|_2}. */
    EUCLIDEAN(PairwiseDistance.Kind.EUCLIDEAN, 1e-6),
    /** {@code |x - y + 1e-6|_1}. */
    MANHATTAN(PairwiseDistance.Kind.MANHATTAN, 1e-6),
    /** {@code 1 - cos(x, y)} (the default). */
    COSINE_DISTANCE(PairwiseDistance.Kind.COSINE, 0.0);

    final PairwiseDistance.Kind kind;
    final double offset;

    SiameseDistanceMetric(PairwiseDistance.Kind kind, double offset) {
        this.kind = kind;
        this.offset = offset;
    }
}
