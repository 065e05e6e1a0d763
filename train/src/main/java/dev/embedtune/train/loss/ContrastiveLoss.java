package dev.embedtune.train.loss;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Contrastive loss: pairs labelled 1 are pulled together, pairs labelled 0 are pushed apart until
 * their distance reaches the margin.
 *
 * <p>Mirrors sentence-transformers' {@code ContrastiveLoss} (defaults: cosine distance, margin 0.5,
 * {@code size_average=True}).
 *
 * <h2>Formula</h2>
 * <pre>
 *   l_i = 0.5 * ( y_i * d_i^2 + (1 - y_i) * max(margin - d_i, 0)^2 ),   d_i = d(u_i, v_i)
 *   L   = mean_i l_i   (sizeAverage)   or   sum_i l_i
 * </pre>
 * {@code dl_i/dd_i = y_i d_i - (1 - y_i) max(margin - d_i, 0)}. Labels other than 0/1 are used as
 * weights exactly as written (sentence-transformers only warns about them).
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
 *   <li>{@code margin} (default {@value #DEFAULT_MARGIN}): negatives closer than this are penalised; {@code >= 0}.</li>
 *   <li>{@code sizeAverage} (default true): mean over the batch, else sum.</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * Balance positive and negative pairs in a batch.
 *
 * <h2>Relations</h2>
 * {@link OnlineContrastiveLoss} uses only the hard positives and hard negatives of the batch and
 * often trains better.
 *
 * <h2>References</h2>
 * Hadsell, Chopra and LeCun 2006, Dimensionality Reduction by Learning an Invariant Mapping, CVPR
 * (doi:10.1109/CVPR.2006.100; no arXiv version).
 */
public final class ContrastiveLoss implements EmbeddingLoss {

    /** sentence-transformers' default margin (for the cosine distance). */
    public static final double DEFAULT_MARGIN = 0.5;

    private final SiameseDistanceMetric distanceMetric;
    private final double margin;
    private final boolean sizeAverage;

    /** Cosine distance, margin {@value #DEFAULT_MARGIN}, mean over the batch. */
    public ContrastiveLoss() {
        this(SiameseDistanceMetric.COSINE_DISTANCE, DEFAULT_MARGIN, true);
    }

    /**
     * @param distanceMetric the distance between the two embeddings of a pair
     * @param margin distance below which negatives are penalised, finite and {@code >= 0}
     * @param sizeAverage mean over the batch if true, sum if false
     */
    public ContrastiveLoss(SiameseDistanceMetric distanceMetric, double margin, boolean sizeAverage) {
        this.distanceMetric = requireMetric("ContrastiveLoss", distanceMetric);
        this.margin = requireMargin("ContrastiveLoss", margin);
        this.sizeAverage = sizeAverage;
    }

    /** The distance between the two embeddings of a pair. */

    public SiameseDistanceMetric distanceMetric() {
        return distanceMetric;
    }

    /** The margin of the hinge. */

    public double margin() {
        return margin;
    }

    /** Whether the loss is the mean over the batch (true) or the sum. */

    public boolean sizeAverage() {
        return sizeAverage;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("ContrastiveLoss", 2, 2, "2 columns (anchor, other)");
        INDArray y = batch.requireLabels("ContrastiveLoss", "a 0/1 label");
        PairwiseDistance.Saved saved = PairwiseDistance.forward(
                distanceMetric.kind, batch.column(0), batch.column(1), distanceMetric.offset);
        INDArray d = saved.distance();                                                     // [B]
        INDArray shortfall = Transforms.relu(d.rsub(margin), true);                        // max(margin - d, 0), [B]
        INDArray notY = y.rsub(1.0);
        INDArray perRow = y.mul(d).muli(d).addi(notY.mul(shortfall).muli(shortfall)).muli(0.5);
        double norm = sizeAverage ? batch.batchSize() : 1.0;
        double loss = perRow.sumNumber().doubleValue() / norm;
        INDArray dDistance = y.mul(d).subi(notY.mul(shortfall)).divi(norm);
        return new LossValue(loss, List.of(PairwiseDistance.backward(saved, dDistance)));
    }

    static SiameseDistanceMetric requireMetric(String lossName, SiameseDistanceMetric metric) {
        if (metric == null) {
            throw new IllegalArgumentException(lossName + ": distanceMetric must not be null");
        }
        return metric;
    }

    static double requireMargin(String lossName, double margin) {
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException(lossName + ": margin must be a finite value >= 0, got " + margin);
        }
        return margin;
    }
}
