package dev.embedtune.train.loss;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * AnglE (angle-optimised) loss: {@link CoSENTLoss} with the angle-difference similarity in complex
 * space instead of the cosine, whose gradient vanishes near {@code cos = +-1}.
 *
 * <p>Mirrors sentence-transformers' {@code AnglELoss} ({@code scale=20}, {@code pairwise_angle_sim}),
 * including its n-tuple form.
 *
 * <h2>Formula</h2>
 * <pre>
 *   L = log( 1 + sum over (i, j) with y_i &lt; y_j of exp(scale * (sim_i - sim_j)) )
 *   sim(x, y) = | u^T M v |,  u = x/|x|,  v = y/|y|,  M = [[I, -I], [I, I]]
 * </pre>
 * where {@code sim} is sentence-transformers' {@code pairwise_angle_sim}: each vector (zero-padded to
 * even length) is split into real and imaginary halves, and the real and imaginary parts of the
 * normalised complex quotient are summed (see {@link AngleSimilarity} for the derivation).
 *
 * <h2>Inputs</h2>
 * <table>
 *   <caption>columns and labels</caption>
 *   <tr><th>Columns</th><th>Labels</th></tr>
 *   <tr><td>(sentence_A, sentence_B) pairs</td><td>float similarity score (required)</td></tr>
 *   <tr><td>(anchor, positive, negative_1, ..., negative_K) n-tuples</td><td>none (positives score 1,
 *       negatives 0), or a float score {@code y} per row (positives score {@code y}, negatives {@code 1 - y})</td></tr>
 * </table>
 * The n-tuple form ranks the {@code B(1+K)} pairs {@code (anchor_i, positive_i)},
 * {@code (anchor_i, negative^k_i)} in one CoSENT objective.
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code scale} (default {@value CoSENTLoss#DEFAULT_SCALE}): inverse temperature, {@code > 0}.</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * The paper trains it together with {@link MultipleNegativesRankingLoss}.
 *
 * <h2>Relations</h2>
 * {@link CoSENTLoss} is the same objective with the cosine.
 *
 * <h2>References</h2>
 * Li and Li 2023, AnglE-optimized Text Embeddings, arXiv:2309.12871 (ACL 2024: "AoE: Angle-optimized
 * Embeddings for Semantic Textual Similarity").
 */
public final class AnglELoss implements EmbeddingLoss {

    private final double scale;

    /** With the default scale {@value CoSENTLoss#DEFAULT_SCALE}. */
    public AnglELoss() {
        this(CoSENTLoss.DEFAULT_SCALE);
    }

    /** @param scale multiplies the angle similarities, must be {@code > 0} */
    public AnglELoss(double scale) {
        this.scale = MultipleNegativesRankingLoss.requirePositiveScale("AnglELoss", scale);
    }

    /** The factor applied to the similarities (1 / temperature). */

    public double scale() {
        return scale;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("AnglELoss", 2, Integer.MAX_VALUE,
                "2 columns (sentence_A, sentence_B) with scores, or (anchor, positive, negative_1, ..., negative_K)");
        int b = batch.batchSize();
        int k = batch.columnCount() - 1;
        INDArray left;
        INDArray right;
        INDArray labels;
        if (k == 1) {
            left = batch.column(0);
            right = batch.column(1);
            labels = batch.requireLabels("AnglELoss", "a float similarity score (pairs need labels)");
        } else {
            // n-tuples: (anchor, candidate) pairs, the anchor repeated once per candidate column.
            left = Nd4j.concat(0, Collections.nCopies(k, batch.column(0)).toArray(INDArray[]::new));       // [B*K, D]
            right = MultipleNegativesRankingLoss.stackCandidates(batch);                                    // [B*K, D]
            INDArray positive = batch.hasLabels() ? batch.labels() : Nd4j.ones(batch.dataType(), b);
            INDArray[] parts = new INDArray[k];
            parts[0] = positive.reshape(b);
            for (int i = 1; i < k; i++) {
                parts[i] = positive.rsub(1.0).reshape(b);
            }
            labels = Nd4j.concat(0, parts);                                                                  // [B*K]
        }
        AngleSimilarity.Saved saved = AngleSimilarity.forward(left, right);
        PairRanking.Result ranking = PairRanking.forward(AngleSimilarity.similarity(saved), labels, scale);
        INDArray[] grads = AngleSimilarity.backward(saved, ranking.dSimilarity());
        if (k == 1) {
            return new LossValue(ranking.loss(), List.of(grads));
        }
        INDArray anchorGrad = Nd4j.zeros(batch.dataType(), b, batch.dimension());
        for (int i = 0; i < k; i++) {
            anchorGrad.addi(grads[0].get(NDArrayIndex.interval((long) i * b, (long) (i + 1) * b), NDArrayIndex.all()));
        }
        List<INDArray> out = new ArrayList<>();
        out.add(anchorGrad);
        out.addAll(MultipleNegativesRankingLoss.splitCandidates(grads[1], b));
        return new LossValue(ranking.loss(), out);
    }
}
