package dev.embedtune.train.loss;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link MultipleNegativesRankingLoss} computed the GradCache way, so a large batch (many in-batch
 * negatives) fits in the memory of a small one. Same value and same gradients as
 * {@link MultipleNegativesRankingLoss} on the same batch.
 *
 * <p>Mirrors sentence-transformers' {@code CachedMultipleNegativesRankingLoss} with its defaults
 * ({@code scale=20}, {@code mini_batch_size=32}, cos_sim, query_to_doc, joint).
 *
 * <h2>The GradCache procedure, and which part this class does</h2>
 * In-batch negatives make the rows of a batch depend on each other, so the batch cannot simply be
 * split into mini-batches. GradCache splits the step into three stages, each done in mini-batches:
 * <ol>
 *   <li><b>Embed without graph</b> (trainer): embed every column in mini-batches of
 *       {@link #miniBatchSize()} rows with no activations kept. Before each mini-batch, snapshot the
 *       random state that drives dropout (sentence-transformers' {@code RandContext}).</li>
 *   <li><b>Loss and embedding gradients on the full batch</b> (this class, {@link #compute}): from the
 *       full {@code [B, D]} embeddings, the loss and {@code dL/dE} of every column. The {@code [B, C]}
 *       score matrix is never materialised: rows are processed {@code M = miniBatchSize} at a time, so
 *       the largest temporary is {@code [M, C]} (plus the {@code [C, D]} normalised candidates, which
 *       the embeddings themselves already cost).</li>
 *   <li><b>Mini-batch backward</b> (trainer): for each mini-batch of rows of {@code dL/dE},
 *       restore that mini-batch's random state, embed its texts again WITH the activations the
 *       encoder backward needs, and run the encoder backward from the slice's gradient, accumulating
 *       parameter gradients over slices. Restoring the random state makes the second forward produce
 *       bit-for-bit the embeddings of stage 1, so the cached gradients belong to it. embedtune's
 *       {@code LoraTrainingModel} draws dropout masks per row from the step's seed instead, which
 *       reproduces stage 1 the same way (and gives each row the masks of a plain MNRL step).</li>
 * </ol>
 * Stages 1 and 3 need the encoder and the training step and are the trainer's job; the result is the
 * same parameter gradient as a plain MNRL step, at the cost of a second forward pass (sentence-
 * transformers measures roughly 2x slower per step).
 *
 * <h2>Formula</h2>
 * As {@link MultipleNegativesRankingLoss}: {@code L = (1/B) sum_i (log sum_j exp(s_ij) - s_ii)},
 * {@code s_ij = scale * cos(a_i, c_j)}; rows {@code [begin, end)} contribute their part of the sum and
 * their share of the gradient independently, which is why chunking rows changes nothing.
 *
 * <h2>Inputs</h2>
 * <table>
 *   <caption>columns and labels</caption>
 *   <tr><th>Columns</th><th>Labels</th></tr>
 *   <tr><td>(anchor, positive) pairs</td><td>none</td></tr>
 *   <tr><td>(anchor, positive, negative) triplets</td><td>none</td></tr>
 *   <tr><td>(anchor, positive, negative_1, ..., negative_K)</td><td>none</td></tr>
 * </table>
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code scale} (default {@value MultipleNegativesRankingLoss#DEFAULT_SCALE}): 1 / temperature, {@code > 0}.</li>
 *   <li>{@code miniBatchSize} (default {@value #DEFAULT_MINI_BATCH_SIZE}): rows per mini-batch, for the
 *       embedding passes and for the chunks of the score matrix; {@code >= 1}. Larger is faster and
 *       uses more memory; it does not change the result.</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * Use the NO_DUPLICATES batch sampler, a large batch and a small mini-batch.
 *
 * <h2>Relations</h2>
 * Equivalent to {@link MultipleNegativesRankingLoss}; {@link MatryoshkaLoss} can wrap it (and then
 * asks for its mini-batches). The trainer learns that this loss wants GradCache from
 * {@link #gradCacheMiniBatchSize()}, as from any {@link EmbeddingLoss}.
 *
 * <h2>References</h2>
 * Gao et al. 2021, Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup,
 * arXiv:2101.06983; Henderson et al. 2017, arXiv:1705.00652.
 */
public final class CachedMultipleNegativesRankingLoss implements EmbeddingLoss {

    /** sentence-transformers' default mini-batch size. */
    public static final int DEFAULT_MINI_BATCH_SIZE = 32;

    private final double scale;
    private final int miniBatchSize;

    /** With scale {@value MultipleNegativesRankingLoss#DEFAULT_SCALE} and mini-batch size {@value #DEFAULT_MINI_BATCH_SIZE}. */
    public CachedMultipleNegativesRankingLoss() {
        this(MultipleNegativesRankingLoss.DEFAULT_SCALE, DEFAULT_MINI_BATCH_SIZE);
    }

    /**
     * @param scale multiplies the cosine similarities (1 / temperature), must be {@code > 0}
     * @param miniBatchSize rows per mini-batch, must be {@code >= 1}
     */
    public CachedMultipleNegativesRankingLoss(double scale, int miniBatchSize) {
        this.scale = MultipleNegativesRankingLoss.requirePositiveScale("CachedMultipleNegativesRankingLoss", scale);
        if (miniBatchSize < 1) {
            throw new IllegalArgumentException("CachedMultipleNegativesRankingLoss: miniBatchSize must be >= 1, got "
                    + miniBatchSize);
        }
        this.miniBatchSize = miniBatchSize;
    }

    /** The factor applied to the similarities (1 / temperature). */

    public double scale() {
        return scale;
    }

    /** Rows per mini-batch, for the embedding passes and the score-matrix chunks. */
    public int miniBatchSize() {
        return miniBatchSize;
    }

    /** The encoder embeds in GradCache mini-batches of {@link #miniBatchSize()} rows. */
    @Override
    public int gradCacheMiniBatchSize() {
        return miniBatchSize;
    }

    /** Stage 2: loss and embedding gradients of the full batch, computed {@code miniBatchSize} score rows at a time. */
    @Override
    public LossValue compute(EmbeddingBatch batch) {
        batch.requireColumns("CachedMultipleNegativesRankingLoss", 2, Integer.MAX_VALUE,
                "at least 2 columns (anchor, positive, negative_1, ..., negative_K)");
        int b = batch.batchSize();
        RowNormalization.Saved anchors = RowNormalization.forward(batch.column(0));                 // [B, D]
        RowNormalization.Saved candidates = RowNormalization.forward(
                MultipleNegativesRankingLoss.stackCandidates(batch));                             // [C, D]
        INDArray candidateUnitT = candidates.unit().transpose();                                  // [D, C]
        INDArray dAnchorUnit = Nd4j.zeros(batch.dataType(), b, batch.dimension());                // [B, D]
        INDArray dCandidateUnit = Nd4j.zeros(batch.dataType(), candidates.unit().shape());        // [C, D]

        double lossSum = 0;
        for (int begin = 0; begin < b; begin += miniBatchSize) {
            int end = Math.min(begin + miniBatchSize, b);
            INDArray rows = anchors.unit().get(NDArrayIndex.interval(begin, end), NDArrayIndex.all()); // [M, D]
            INDArray scores = rows.mmul(candidateUnitT).muli(scale);                                     // [M, C]
            RankingCrossEntropy.Result ce = RankingCrossEntropy.forward(scores, begin);
            lossSum += ce.lossPerRow().sumNumber().doubleValue();
            INDArray dScores = ce.dScores().muli(scale / b);                                             // [M, C]
            dAnchorUnit.get(NDArrayIndex.interval(begin, end), NDArrayIndex.all())
                    .assign(dScores.mmul(candidates.unit()));
            dCandidateUnit.addi(dScores.transpose().mmul(rows));
        }

        List<INDArray> grads = new ArrayList<>();
        grads.add(RowNormalization.backward(anchors, dAnchorUnit));
        grads.addAll(MultipleNegativesRankingLoss.splitCandidates(RowNormalization.backward(candidates, dCandidateUnit), b));
        return new LossValue(lossSum / b, grads);
    }
}
