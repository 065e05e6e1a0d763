package dev.embedtune.train.loss;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Triplet loss: the anchor must be closer to its positive than to its negative by at least a margin.
 *
 * <p>Mirrors sentence-transformers' {@code TripletLoss} (defaults: Euclidean distance, margin 5).
 *
 * <h2>Formula</h2>
 * <pre>
 *   L = (1/B) * sum_i max( d(a_i, p_i) - d(a_i, n_i) + margin, 0 )
 * </pre>
 * Gradient: for the triplets with a positive hinge, {@code +1/B} through {@code d(a, p)} and
 * {@code -1/B} through {@code d(a, n)}; zero for the others.
 *
 * <h2>Inputs</h2>
 * <table>
 *   <caption>columns and labels</caption>
 *   <tr><th>Columns</th><th>Labels</th></tr>
 *   <tr><td>(anchor, positive, negative) triplets</td><td>none</td></tr>
 * </table>
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code distanceMetric} (default {@link TripletDistanceMetric#EUCLIDEAN}): also COSINE
 *       ({@code 1 - cos}) or MANHATTAN.</li>
 *   <li>{@code margin} (default {@value #DEFAULT_MARGIN}): how much further the negative must be;
 *       {@code >= 0}. Tune it to the metric: 5 suits unnormalised Euclidean distances, cosine distances
 *       lie in [0, 2].</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * Hard negatives (close to the anchor, yet wrong) give the most signal; random negatives quickly
 * satisfy the margin and stop contributing.
 *
 * <h2>Relations</h2>
 * {@link MultipleNegativesRankingLoss} uses the same triplets plus all in-batch negatives and usually
 * trains retrieval models better.
 *
 * <h2>References</h2>
 * Hermans et al. 2017, In Defense of the Triplet Loss for Person Re-Identification, arXiv:1703.07737;
 * Schroff et al. 2015, FaceNet, arXiv:1503.03832.
 */
public final class TripletLoss implements EmbeddingLoss {

    /** sentence-transformers' default margin (for the Euclidean distance). */
    public static final double DEFAULT_MARGIN = 5.0;

    private final TripletDistanceMetric distanceMetric;
    private final double margin;

    /** Euclidean distance, margin {@value #DEFAULT_MARGIN}. */
    public TripletLoss() {
        this(TripletDistanceMetric.EUCLIDEAN, DEFAULT_MARGIN);
    }

    /**
     * @param distanceMetric the distance between embeddings
     * @param margin how much further the negative must be than the positive, must be finite and {@code >= 0}
     */
    public TripletLoss(TripletDistanceMetric distanceMetric, double margin) {
        if (distanceMetric == null) {
            throw new IllegalArgumentException("TripletLoss: distanceMetric must not be null");
        }
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("TripletLoss: margin must be a finite value >= 0, got " + margin);
        }
        this.distanceMetric = distanceMetric;
        this.margin = margin;
    }

    /** The distance between embeddings. */

    public TripletDistanceMetric distanceMetric() {
        return distanceMetric;
    }

    /** The margin of the hinge. */

    public double margin() {
        return margin;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("TripletLoss", 3, 3, "3 columns (anchor, positive, negative)");
        int b = batch.batchSize();
        PairwiseDistance.Saved toPositive = PairwiseDistance.forward(distanceMetric.kind, batch.column(0), batch.column(1), 0.0);
        PairwiseDistance.Saved toNegative = PairwiseDistance.forward(distanceMetric.kind, batch.column(0), batch.column(2), 0.0);
        INDArray hinge = toPositive.distance().sub(toNegative.distance()).addi(margin);    // [B]
        double loss = Transforms.relu(hinge, true).sumNumber().doubleValue() / b;
        INDArray active = hinge.gt(0.0).castTo(batch.dataType()).divi(b);                   // dL/d(d_ap), [B]
        INDArray[] gPositive = PairwiseDistance.backward(toPositive, active);
        INDArray[] gNegative = PairwiseDistance.backward(toNegative, active.neg());
        return new LossValue(loss, List.of(gPositive[0].addi(gNegative[0]), gPositive[1], gNegative[1]));
    }
}
