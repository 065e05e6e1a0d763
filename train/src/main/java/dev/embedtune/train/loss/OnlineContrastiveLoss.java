package dev.embedtune.train.loss;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Online contrastive loss: {@link ContrastiveLoss} restricted to the hard pairs of the batch, the
 * positives that are further apart than the closest negative and the negatives that are closer than
 * the furthest positive.
 *
 * <p>Mirrors sentence-transformers' {@code OnlineContrastiveLoss} (defaults: cosine distance, margin 0.5).
 *
 * <h2>Selection (exactly as sentence-transformers)</h2>
 * With {@code P} the distances of pairs labelled 1 and {@code N} those labelled 0 (other labels are in
 * neither set and are ignored):
 * <ul>
 *   <li>hard negatives: {@code n in N} with {@code n < max(P)} if {@code |P| > 1}, else {@code n < mean(N)};</li>
 *   <li>hard positives: {@code p in P} with {@code p > min(N)} if {@code |N| > 1}, else {@code p > mean(P)}.</li>
 * </ul>
 * The comparisons are strict; a mean of an empty set selects nothing. The selection is not
 * differentiated (it is piecewise constant).
 *
 * <h2>Formula</h2>
 * <pre>
 *   L = sum over hard positives of d^2  +  sum over hard negatives of max(margin - d, 0)^2
 * </pre>
 * A sum, without the 0.5 factor and without averaging, as in sentence-transformers.
 *
 * <h2>Inputs</h2>
 * <table>
 *   <caption>columns and labels</caption>
 *   <tr><th>Columns</th><th>Labels</th></tr>
 *   <tr><td>(anchor, positive/negative) pairs</td><td>1 if positive, 0 if negative</td></tr>
 * </table>
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code distanceMetric} (default {@link SiameseDistanceMetric#COSINE_DISTANCE}).</li>
 *   <li>{@code margin} (default {@value ContrastiveLoss#DEFAULT_MARGIN}): {@code >= 0}.</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * The data should contain hard positives and hard negatives; batches need both labels for the
 * max/min thresholds to apply.
 *
 * <h2>Relations</h2>
 * {@link ContrastiveLoss} uses every pair; this loss often gives better results.
 *
 * <h2>References</h2>
 * Hadsell, Chopra and LeCun 2006 (contrastive loss, doi:10.1109/CVPR.2006.100); the online hard-pair
 * mining is sentence-transformers' (Quora duplicate questions example).
 */
public final class OnlineContrastiveLoss implements EmbeddingLoss {

    private final SiameseDistanceMetric distanceMetric;
    private final double margin;

    /** Cosine distance, margin {@value ContrastiveLoss#DEFAULT_MARGIN}. */
    public OnlineContrastiveLoss() {
        this(SiameseDistanceMetric.COSINE_DISTANCE, ContrastiveLoss.DEFAULT_MARGIN);
    }

    /**
     * @param distanceMetric the distance between the two embeddings of a pair
     * @param margin distance below which hard negatives are penalised, finite and {@code >= 0}
     */
    public OnlineContrastiveLoss(SiameseDistanceMetric distanceMetric, double margin) {
        this.distanceMetric = ContrastiveLoss.requireMetric("OnlineContrastiveLoss", distanceMetric);
        this.margin = ContrastiveLoss.requireMargin("OnlineContrastiveLoss", margin);
    }

    /** The distance between the two embeddings of a pair. */

    public SiameseDistanceMetric distanceMetric() {
        return distanceMetric;
    }

    /** The margin of the hinge. */

    public double margin() {
        return margin;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("OnlineContrastiveLoss", 2, 2, "2 columns (anchor, other)");
        INDArray labels = batch.requireLabels("OnlineContrastiveLoss", "a 0/1 label");
        PairwiseDistance.Saved saved = PairwiseDistance.forward(
                distanceMetric.kind, batch.column(0), batch.column(1), distanceMetric.offset);
        INDArray d = saved.distance();                                                             // [B]
        // The selection compares B scalars against thresholds: bookkeeping, done on the host.
        double[] selection = select(d.toDoubleVector(), labels.toDoubleVector());
        INDArray selected = Nd4j.createFromArray(selection).castTo(batch.dataType());             // +1 hard pos, -1 hard neg, 0 not used
        INDArray hardPositive = selected.gt(0.0).castTo(batch.dataType());
        INDArray hardNegative = selected.lt(0.0).castTo(batch.dataType());
        INDArray shortfall = Transforms.relu(d.rsub(margin), true);                                // [B]
        double loss = hardPositive.mul(d).muli(d).sumNumber().doubleValue()
                + hardNegative.mul(shortfall).muli(shortfall).sumNumber().doubleValue();
        INDArray dDistance = hardPositive.mul(d).subi(hardNegative.mul(shortfall)).muli(2.0);
        return new LossValue(loss, List.of(PairwiseDistance.backward(saved, dDistance)));
    }

    /** Returns +1 for hard positives, -1 for hard negatives, 0 for unused rows. */
    static double[] select(double[] distance, double[] labels) {
        int positives = 0;
        int negatives = 0;
        double maxPositive = Double.NEGATIVE_INFINITY;
        double minNegative = Double.POSITIVE_INFINITY;
        double sumPositive = 0;
        double sumNegative = 0;
        for (int i = 0; i < distance.length; i++) {
            if (labels[i] == 1.0) {
                positives++;
                sumPositive += distance[i];
                maxPositive = Math.max(maxPositive, distance[i]);
            } else if (labels[i] == 0.0) {
                negatives++;
                sumNegative += distance[i];
                minNegative = Math.min(minNegative, distance[i]);
            }
        }
        // NaN for an empty set: every comparison with it is false, as with torch's mean of nothing.
        double negativeThreshold = positives > 1 ? maxPositive : sumNegative / negatives;
        double positiveThreshold = negatives > 1 ? minNegative : sumPositive / positives;
        double[] out = new double[distance.length];
        for (int i = 0; i < distance.length; i++) {
            if (labels[i] == 1.0 && distance[i] > positiveThreshold) {
                out[i] = 1.0;
            } else if (labels[i] == 0.0 && distance[i] < negativeThreshold) {
                out[i] = -1.0;
            }
        }
        return out;
    }
}
