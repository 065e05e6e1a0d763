package dev.embedtune.train.loss;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CoSENT (Consistent SENTence embedding) loss: the cosine similarities of the pairs of a batch must be
 * ordered like their gold scores. Every pair of pairs that is ordered wrongly (a pair with a lower
 * score has a higher cosine) is penalised, smoothly, through one log-sum-exp.
 *
 * <p>Mirrors sentence-transformers' {@code CoSENTLoss} ({@code scale=20}, {@code pairwise_cos_sim}).
 *
 * <h2>Formula</h2>
 * With {@code cos_i = cos(u_i, v_i)} and gold scores {@code y_i}:
 * <pre>
 *   L = log( 1 + sum over (i, j) with y_i &lt; y_j of exp(scale * (cos_i - cos_j)) )
 * </pre>
 * Only the order of the labels matters, not their values.
 *
 * <h2>Inputs</h2>
 * <table>
 *   <caption>columns and labels</caption>
 *   <tr><th>Columns</th><th>Labels</th></tr>
 *   <tr><td>(sentence_A, sentence_B) pairs</td><td>float similarity score</td></tr>
 * </table>
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code scale} (default {@value #DEFAULT_SCALE}): multiplies the cosines (inverse temperature), {@code > 0}.</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * Any batch sampler; the batch needs pairs with different scores for the loss to be non-trivial (with
 * all scores equal the loss is {@code log 1 = 0}).
 *
 * <h2>Relations</h2>
 * {@link AnglELoss} is this loss with the angle similarity instead of the cosine. sentence-transformers
 * reports a stronger training signal than its {@code CosineSimilarityLoss} and recommends CoSENT as
 * its drop-in replacement.
 *
 * <h2>References</h2>
 * Huang et al. 2024, CoSENT: Consistent Sentence Embedding via Similarity Ranking, IEEE/ACM TASLP,
 * doi:10.1109/TASLP.2024.3402087 (no arXiv version; first described by Su Jianlin in 2022).
 */
public final class CoSENTLoss implements EmbeddingLoss {

    /** sentence-transformers' default scale. */
    public static final double DEFAULT_SCALE = 20.0;

    private final double scale;

    /** With the default scale {@value #DEFAULT_SCALE}. */
    public CoSENTLoss() {
        this(DEFAULT_SCALE);
    }

    /** @param scale multiplies the cosine similarities, must be {@code > 0} */
    public CoSENTLoss(double scale) {
        this.scale = MultipleNegativesRankingLoss.requirePositiveScale("CoSENTLoss", scale);
    }

    /** The factor applied to the similarities (1 / temperature). */

    public double scale() {
        return scale;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("CoSENTLoss", 2, 2, "2 columns (sentence_A, sentence_B)");
        INDArray labels = batch.requireLabels("CoSENTLoss", "a float similarity score");
        PairwiseDistance.Saved distance = PairwiseDistance.forward(
                PairwiseDistance.Kind.COSINE, batch.column(0), batch.column(1), 0.0);
        INDArray cosine = distance.distance().rsub(1.0);                              // [B]
        PairRanking.Result ranking = PairRanking.forward(cosine, labels, scale);
        // d = 1 - cos, so dL/dd = -dL/dcos.
        INDArray[] grads = PairwiseDistance.backward(distance, ranking.dSimilarity().neg());
        return new LossValue(ranking.loss(), List.of(grads));
    }
}
