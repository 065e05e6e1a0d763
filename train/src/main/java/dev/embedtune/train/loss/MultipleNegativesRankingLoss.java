package dev.embedtune.train.loss;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Multiple negatives ranking loss (InfoNCE with in-batch negatives): for each anchor, its own
 * positive must score higher than every other candidate in the batch, namely the other rows'
 * positives and every row's explicit negatives.
 *
 * <p>Mirrors sentence-transformers' {@code MultipleNegativesRankingLoss} with its defaults
 * ({@code similarity_fct=cos_sim}, {@code directions=("query_to_doc",)}, {@code partition_mode="joint"},
 * no hardness weighting).
 *
 * <h2>Formula</h2>
 * With anchors {@code a_i}, candidates {@code c_j = [p_1..p_B, n^1_1..n^1_B, ..., n^K_1..n^K_B]}
 * ({@code C = B(1+K)}) and {@code s_ij = scale * cos(a_i, c_j)}:
 * <pre>
 *   L = (1/B) * sum_i ( log sum_j exp(s_ij) - s_ii )
 * </pre>
 * i.e. the cross-entropy of each row of the {@code [B, C]} score matrix with target column {@code i}.
 * Gradient: {@code dL/ds = (softmax_rows(s) - onehot(i)) / B}, then back through the matrix product
 * and the row normalisations of anchors and candidates.
 *
 * <h2>Inputs</h2>
 * <table>
 *   <caption>columns and labels</caption>
 *   <tr><th>Columns</th><th>Labels</th></tr>
 *   <tr><td>(anchor, positive) pairs</td><td>none</td></tr>
 *   <tr><td>(anchor, positive, negative) triplets</td><td>none</td></tr>
 *   <tr><td>(anchor, positive, negative_1, ..., negative_K)</td><td>none</td></tr>
 * </table>
 * Labels, if present, are ignored: the target is the diagonal.
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code scale} (default {@value #DEFAULT_SCALE}): multiplies the cosine; {@code scale = 1/temperature},
 *       so 20 is temperature 0.05. Must be {@code > 0}.</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * Use the NO_DUPLICATES batch sampler, so that no in-batch negative is a duplicate of an anchor's
 * positive (a duplicate would be scored as a negative).
 *
 * <h2>Relations</h2>
 * {@link CachedMultipleNegativesRankingLoss} computes the same value and gradients with memory bounded
 * by a mini-batch (GradCache); {@link MultipleNegativesSymmetricRankingLoss} adds the
 * positive-to-anchor direction; {@link MatryoshkaLoss} wraps it to train truncated embeddings.
 *
 * <h2>References</h2>
 * Henderson et al. 2017, Efficient Natural Language Response Suggestion for Smart Reply, arXiv:1705.00652;
 * van den Oord et al. 2018, Representation Learning with Contrastive Predictive Coding, arXiv:1807.03748.
 */
public final class MultipleNegativesRankingLoss implements EmbeddingLoss {

    /** sentence-transformers' default scale (temperature 0.05). */
    public static final double DEFAULT_SCALE = 20.0;

    private final double scale;

    /** With the default scale {@value #DEFAULT_SCALE}. */
    public MultipleNegativesRankingLoss() {
        this(DEFAULT_SCALE);
    }

    /** @param scale multiplies the cosine similarities (1 / temperature), must be {@code > 0} */
    public MultipleNegativesRankingLoss(double scale) {
        this.scale = requirePositiveScale("MultipleNegativesRankingLoss", scale);
    }

    /** The factor applied to the similarities (1 / temperature). */

    public double scale() {
        return scale;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("MultipleNegativesRankingLoss", 2, Integer.MAX_VALUE,
                "at least 2 columns (anchor, positive, negative_1, ..., negative_K)");
        int b = batch.batchSize();
        RowNormalization.Saved anchors = RowNormalization.forward(batch.column(0));               // [B, D]
        RowNormalization.Saved candidates = RowNormalization.forward(stackCandidates(batch));    // [C, D]
        INDArray scores = anchors.unit().mmul(candidates.unit().transpose()).muli(scale);        // [B, C]

        RankingCrossEntropy.Result ce = RankingCrossEntropy.forward(scores, 0);
        double loss = ce.lossPerRow().sumNumber().doubleValue() / b;
        INDArray dScores = ce.dScores().muli(scale / b);                                         // d(L)/d(cos), [B, C]

        INDArray dAnchorUnit = dScores.mmul(candidates.unit());                                  // [B, D]
        INDArray dCandidateUnit = dScores.transpose().mmul(anchors.unit());                     // [C, D]
        List<INDArray> grads = new ArrayList<>();
        grads.add(RowNormalization.backward(anchors, dAnchorUnit));
        grads.addAll(splitCandidates(RowNormalization.backward(candidates, dCandidateUnit), b));
        return new LossValue(loss, grads);
    }

    /** Columns 1.. stacked as [C, D]: positives first, then each negative column. */
    static INDArray stackCandidates(EmbeddingBatch batch) {
        INDArray[] cols = batch.columns().subList(1, batch.columnCount()).toArray(INDArray[]::new);
        return cols.length == 1 ? cols[0] : Nd4j.concat(0, cols);
    }

    /** Splits a [C, D] candidate gradient back into its B-row columns. */
    static List<INDArray> splitCandidates(INDArray stacked, int b) {
        List<INDArray> out = new ArrayList<>();
        for (long start = 0; start < stacked.size(0); start += b) {
            out.add(stacked.get(NDArrayIndex.interval(start, start + b), NDArrayIndex.all()).dup());
        }
        return out;
    }

    static double requirePositiveScale(String lossName, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException(lossName + ": scale must be a finite value > 0, got " + scale);
        }
        return scale;
    }
}
