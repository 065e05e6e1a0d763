package dev.embedtune.train.loss;

/**
 * The distances {@link TripletLoss} can use, as sentence-transformers' {@code TripletDistanceMetric}.
 */
public enum TripletDistanceMetric {
    /** {@code 1 - cos(x, y)}. */
    COSINE(PairwiseDistance.Kind.COSINE),
    /** {@code |x - y|_2} (the default). */
    EUCLIDEAN(PairwiseDistance.Kind.EUCLIDEAN),
    /** {@code |x - y|_1}. */
    MANHATTAN(PairwiseDistance.Kind.MANHATTAN);

    final PairwiseDistance.Kind kind;

    TripletDistanceMetric(PairwiseDistance.Kind kind) {
        this.kind = kind;
    }
}
