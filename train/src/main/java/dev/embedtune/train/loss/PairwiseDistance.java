package dev.embedtune.train.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Row-wise distances {@code d_i = dist(a_i, b_i)} with their backward, the kernels behind
 * {@link TripletDistanceMetric} and {@link SiameseDistanceMetric}.
 */
final class PairwiseDistance {

    /** The distance kinds sentence-transformers uses. */
    enum Kind { COSINE, EUCLIDEAN, MANHATTAN }

    /** Smallest norm we divide by in the Euclidean backward; at d = 0 the numerator is 0 as well. */
    private static final double TINY = 1e-30;

    /**
     * What the backward needs.
     *
     * @param distance d, [B]
     * @param diff {@code a - b + offset} (Euclidean, Manhattan), [B, D]
     * @param a normalisation of a (cosine)
     * @param b normalisation of b (cosine)
     */
    record Saved(Kind kind, INDArray distance, INDArray diff, RowNormalization.Saved a, RowNormalization.Saved b) {}

    private PairwiseDistance() {}

    /**
     * @param offset added to {@code a - b} before the norm (PyTorch's {@code F.pairwise_distance}
     *     adds {@code eps = 1e-6}; {@code pairwise_euclidean_sim} adds nothing); unused for cosine
     */
    static Saved forward(Kind kind, INDArray a, INDArray b, double offset) { // a, b: [B, D]
        long n = a.size(0);
        return switch (kind) {
            case COSINE -> {
                RowNormalization.Saved na = RowNormalization.forward(a);
                RowNormalization.Saved nb = RowNormalization.forward(b);
                INDArray d = na.unit().mul(nb.unit()).sum(1).reshape(n).rsubi(1.0);
                yield new Saved(kind, d, null, na, nb);
            }
            case EUCLIDEAN -> {
                INDArray diff = a.sub(b).addi(offset);
                yield new Saved(kind, diff.norm2(1).reshape(n), diff, null, null);
            }
            case MANHATTAN -> {
                INDArray diff = a.sub(b).addi(offset);
                yield new Saved(kind, Transforms.abs(diff, true).sum(1).reshape(n), diff, null, null);
            }
        };
    }

    /** {dL/da, dL/db} from dL/dd ([B]). */
    static INDArray[] backward(Saved s, INDArray dDistance) {
        long n = dDistance.length();
        INDArray dd = dDistance.reshape(n, 1);
        return switch (s.kind) {
            case COSINE -> {
                // d = 1 - u_a . u_b
                INDArray dUa = s.b.unit().mulColumnVector(dd).negi();
                INDArray dUb = s.a.unit().mulColumnVector(dd).negi();
                yield new INDArray[] {RowNormalization.backward(s.a, dUa), RowNormalization.backward(s.b, dUb)};
            }
            case EUCLIDEAN -> {
                INDArray safe = Transforms.max(s.distance.reshape(n, 1), TINY, true);
                INDArray dDiff = s.diff.mulColumnVector(dd.div(safe));
                yield new INDArray[] {dDiff, dDiff.neg()};
            }
            case MANHATTAN -> {
                INDArray dDiff = Transforms.sign(s.diff, true).muliColumnVector(dd);
                yield new INDArray[] {dDiff, dDiff.neg()};
            }
        };
    }
}
