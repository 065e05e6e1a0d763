package dev.embedtune.train.loss;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Symmetric multiple negatives ranking loss: the average of the forward term (each anchor must find
 * its positive among all candidates, exactly {@link MultipleNegativesRankingLoss}) and the backward
 * term (each positive must find its anchor among all anchors of the batch).
 *
 * <p>Mirrors sentence-transformers' {@code MultipleNegativesSymmetricRankingLoss}, which is now
 * {@code MultipleNegativesRankingLoss(directions=("query_to_doc", "doc_to_query"),
 * partition_mode="per_direction")}: the forward term's candidates include the explicit negative
 * columns, the backward term uses the positives only (a negative is never asked to find an anchor).
 *
 * <h2>Formula</h2>
 * With {@code s_ij = scale * cos(a_i, c_j)} over candidates {@code c = [p, n^1, ..., n^K]} and
 * {@code t_ji = scale * cos(p_j, a_i)} (anchors {@code i}, positives {@code j}, both in {@code 1..B}):
 * <pre>
 *   L = (1/B) * sum_i ( (log sum_j exp(s_ij) - s_ii) + (log sum_k exp(t_ik) - t_ii) ) / 2
 * </pre>
 *
 * <h2>Inputs</h2>
 * <table>
 *   <caption>columns and labels</caption>
 *   <tr><th>Columns</th><th>Labels</th></tr>
 *   <tr><td>(anchor, positive) pairs</td><td>none</td></tr>
 *   <tr><td>(anchor, positive, negative_1, ..., negative_K): negatives enter the forward term only</td><td>none</td></tr>
 * </table>
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code scale} (default {@value MultipleNegativesRankingLoss#DEFAULT_SCALE}): 1 / temperature, {@code > 0}.</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * Use the NO_DUPLICATES batch sampler (duplicates inside a batch would be scored as negatives in
 * both directions).
 *
 * <h2>Relations</h2>
 * {@link MultipleNegativesRankingLoss} is the forward term alone. For question-answer pairs it only
 * learns to find the answer for a question; this loss also learns to find the question for an answer.
 *
 * <h2>References</h2>
 * Günther et al. 2023, Jina Embeddings 2: 8192-Token General-Purpose Text Embeddings for Long
 * Documents, arXiv:2310.19923 (symmetric InfoNCE); Henderson et al. 2017, arXiv:1705.00652.
 */
public final class MultipleNegativesSymmetricRankingLoss implements EmbeddingLoss {

    private final double scale;

    /** With the default scale {@value MultipleNegativesRankingLoss#DEFAULT_SCALE}. */
    public MultipleNegativesSymmetricRankingLoss() {
        this(MultipleNegativesRankingLoss.DEFAULT_SCALE);
    }

    /** @param scale multiplies the cosine similarities (1 / temperature), must be {@code > 0} */
    public MultipleNegativesSymmetricRankingLoss(double scale) {
        this.scale = MultipleNegativesRankingLoss.requirePositiveScale("MultipleNegativesSymmetricRankingLoss", scale);
    }

    /** The factor applied to the similarities (1 / temperature). */

    public double scale() {
        return scale;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("MultipleNegativesSymmetricRankingLoss", 2, Integer.MAX_VALUE,
                "at least 2 columns (anchor, positive, negative_1, ..., negative_K)");
        int b = batch.batchSize();
        RowNormalization.Saved anchors = RowNormalization.forward(batch.column(0));                          // [B, D]
        RowNormalization.Saved candidates = RowNormalization.forward(
                MultipleNegativesRankingLoss.stackCandidates(batch));                                      // [C, D]
        INDArray scores = anchors.unit().mmul(candidates.unit().transpose()).muli(scale);                  // [B, C]

        // Forward: anchor i against all candidates, target column i.
        RankingCrossEntropy.Result forward = RankingCrossEntropy.forward(scores, 0);
        // Backward: positive j against all anchors, target column j. Its scores are the transpose of
        // the positives block of the same matrix, so one product serves both directions.
        INDArray positiveBlock = scores.get(NDArrayIndex.all(), NDArrayIndex.interval(0, b));              // [B, B]
        RankingCrossEntropy.Result backward = RankingCrossEntropy.forward(positiveBlock.transpose().dup(), 0);

        double loss = (forward.lossPerRow().sumNumber().doubleValue()
                + backward.lossPerRow().sumNumber().doubleValue()) / (2.0 * b);
        INDArray dScores = forward.dScores().muli(scale / (2.0 * b));                                      // [B, C]
        dScores.get(NDArrayIndex.all(), NDArrayIndex.interval(0, b))
                .addi(backward.dScores().transpose().muli(scale / (2.0 * b)));

        List<INDArray> grads = new ArrayList<>();
        grads.add(RowNormalization.backward(anchors, dScores.mmul(candidates.unit())));
        grads.addAll(MultipleNegativesRankingLoss.splitCandidates(
                RowNormalization.backward(candidates, dScores.transpose().mmul(anchors.unit())), b));
        return new LossValue(loss, grads);
    }
}
