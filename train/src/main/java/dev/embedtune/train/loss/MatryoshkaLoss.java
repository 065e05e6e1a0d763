package dev.embedtune.train.loss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Matryoshka loss: a loss modifier that applies another loss to the embeddings truncated to several
 * leading dimensions, so that the first {@code d} dimensions of a trained embedding are a good
 * embedding on their own (cheaper to store and compare).
 *
 * <p>Mirrors sentence-transformers' {@code MatryoshkaLoss}. The wrapped loss is called through
 * {@link EmbeddingLoss#compute} on truncated copies of the batch: an explicit seam where
 * sentence-transformers temporarily replaces the model's forward method.
 *
 * <h2>Formula</h2>
 * <pre>
 *   L = sum over selected k of w_k * inner( normalize(E[:, :d_k]) for every column E )
 * </pre>
 * {@code normalize} is the row-wise L2 normalisation, as in sentence-transformers' {@code shrink}
 * (truncate, then {@code F.normalize}); it does not change cosine-based losses but does change
 * Euclidean ones. The gradient of each term goes back through the normalisation to the first
 * {@code d_k} dimensions; dimensions beyond the largest selected {@code d_k} get zero gradient.
 *
 * <h2>Inputs</h2>
 * Any columns and labels the wrapped loss accepts.
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code inner}: the wrapped loss, e.g. {@link MultipleNegativesRankingLoss} or {@link CoSENTLoss}.</li>
 *   <li>{@code embeddingDimension}: the model's embedding dimension {@code D}; every dim must be
 *       {@code <= D} and every batch must have {@code D} columns.</li>
 *   <li>{@code matryoshkaDims}: the truncation sizes, e.g. {@code [768, 512, 256, 128, 64]}; each in
 *       {@code [1, D]}. Kept sorted in descending order (with their weights), as in sentence-transformers.
 *       Including {@code D} itself is strongly recommended, otherwise the full embedding is not trained.</li>
 *   <li>{@code matryoshkaWeights} (default all 1): one weight per dim, same length.</li>
 *   <li>{@code nDimsPerStep} (default -1): if {@code -1} or {@code >= } the number of dims, every dim is
 *       used each step; otherwise a random subset of that many dims is used per call of
 *       {@link #compute}, drawn from a {@link Random} seeded by {@code seed} (reproducible, but not
 *       Python's sequence).</li>
 * </ul>
 *
 * <h2>Recommendations</h2>
 * Whatever the wrapped loss recommends (NO_DUPLICATES for the ranking losses).
 *
 * <h2>Relations</h2>
 * Wraps any {@link EmbeddingLoss}, including {@link CachedMultipleNegativesRankingLoss}: it then asks
 * for the wrapped loss's GradCache mini-batches ({@link #gradCacheMiniBatchSize}), and the trainer's
 * mini-batch backward takes this loss's gradients row by row.
 *
 * <p>Not thread-safe when {@code nDimsPerStep} draws a subset (the draw advances a shared
 * {@link Random}); use one instance per training loop.
 *
 * <h2>References</h2>
 * Kusupati et al. 2022, Matryoshka Representation Learning, arXiv:2205.13147.
 */
public final class MatryoshkaLoss implements EmbeddingLoss {

    private final EmbeddingLoss inner;
    private final int embeddingDimension;
    private final int[] dims;          // descending
    private final double[] weights;    // aligned with dims
    private final int nDimsPerStep;
    private final Random random;

    /** All dims each step, weights 1. */
    public MatryoshkaLoss(EmbeddingLoss inner, int embeddingDimension, int... matryoshkaDims) {
        this(inner, embeddingDimension, matryoshkaDims, null, -1, 0L);
    }

    /**
     * @param inner the wrapped loss
     * @param embeddingDimension the model's embedding dimension D, {@code >= 1}
     * @param matryoshkaDims truncation sizes, non-empty, each in {@code [1, embeddingDimension]}
     * @param matryoshkaWeights one weight per dim, or {@code null} for all 1
     * @param nDimsPerStep {@code -1} for all dims, or {@code >= 1} dims drawn at random per step
     * @param seed seeds the draw of dims when {@code nDimsPerStep} selects a subset
     */
    public MatryoshkaLoss(EmbeddingLoss inner, int embeddingDimension, int[] matryoshkaDims, double[] matryoshkaWeights,
            int nDimsPerStep, long seed) {
        if (inner == null) {
            throw new IllegalArgumentException("MatryoshkaLoss: the wrapped loss must not be null");
        }
        if (embeddingDimension < 1) {
            throw new IllegalArgumentException("MatryoshkaLoss: embeddingDimension must be >= 1, got " + embeddingDimension);
        }
        if (matryoshkaDims == null || matryoshkaDims.length == 0) {
            throw new IllegalArgumentException("MatryoshkaLoss: matryoshkaDims must contain at least one dimension");
        }
        for (int d : matryoshkaDims) {
            if (d < 1) {
                throw new IllegalArgumentException("MatryoshkaLoss: every dimension in matryoshkaDims must be >= 1, got " + d
                        + " in " + Arrays.toString(matryoshkaDims));
            }
            if (d > embeddingDimension) {
                throw new IllegalArgumentException("MatryoshkaLoss: dimension " + d + " in matryoshkaDims "
                        + Arrays.toString(matryoshkaDims) + " cannot exceed the model's embedding dimension of " + embeddingDimension);
            }
        }
        double[] w = matryoshkaWeights;
        if (w == null) {
            w = new double[matryoshkaDims.length];
            Arrays.fill(w, 1.0);
        } else if (w.length != matryoshkaDims.length) {
            throw new IllegalArgumentException("MatryoshkaLoss: matryoshkaWeights must have the same length as matryoshkaDims ("
                    + matryoshkaDims.length + "), got " + w.length);
        }
        for (double x : w) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException("MatryoshkaLoss: matryoshkaWeights must be finite, got " + Arrays.toString(w));
            }
        }
        if (nDimsPerStep != -1 && nDimsPerStep < 1) {
            throw new IllegalArgumentException("MatryoshkaLoss: nDimsPerStep must be -1 (all dims) or >= 1, got " + nDimsPerStep);
        }
        // Sort dims (with their weights) in descending order, as sentence-transformers does.
        final double[] weightsIn = w;
        Integer[] order = IntStream.range(0, matryoshkaDims.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> matryoshkaDims[i]).reversed());
        this.dims = Arrays.stream(order).mapToInt(i -> matryoshkaDims[i]).toArray();
        this.weights = Arrays.stream(order).mapToDouble(i -> weightsIn[i]).toArray();
        this.inner = inner;
        this.embeddingDimension = embeddingDimension;
        this.nDimsPerStep = nDimsPerStep;
        this.random = new Random(seed);
    }

    /** The wrapped loss. */

    public EmbeddingLoss inner() {
        return inner;
    }

    /** The dims in descending order. */
    public int[] matryoshkaDims() {
        return dims.clone();
    }

    /** The weights, aligned with {@link #matryoshkaDims()}. */
    public double[] matryoshkaWeights() {
        return weights.clone();
    }

    /** The wrapped loss's: truncating the embeddings does not change how they are computed. */
    @Override
    public int gradCacheMiniBatchSize() {
        return inner.gradCacheMiniBatchSize();
    }

    /** Dims drawn per step, or -1 for all. */

    public int nDimsPerStep() {
        return nDimsPerStep;
    }

    @Override
    public LossValue compute(EmbeddingBatch batch) {
        if (batch.dimension() != embeddingDimension) {
            throw new IllegalArgumentException("MatryoshkaLoss: expected embeddings of dimension " + embeddingDimension
                    + " (the embeddingDimension given), found " + batch.dimension());
        }
        int columns = batch.columnCount();
        List<INDArray> grads = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            grads.add(Nd4j.zeros(batch.dataType(), batch.column(c).shape()));
        }
        double loss = 0;
        for (int index : nextDimIndices()) {
            int d = dims[index];
            double w = weights[index];
            List<RowNormalization.Saved> shrunk = new ArrayList<>();
            List<INDArray> truncated = new ArrayList<>();
            for (int c = 0; c < columns; c++) {
                RowNormalization.Saved s = RowNormalization.forward(
                        batch.column(c).get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)));    // [B, d]
                shrunk.add(s);
                truncated.add(s.unit());
            }
            LossValue value = inner.compute(batch.withColumns(truncated));
            loss += w * value.loss();
            for (int c = 0; c < columns; c++) {
                INDArray g = RowNormalization.backward(shrunk.get(c), value.gradient(c)).muli(w);  // [B, d]
                grads.get(c).get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).addi(g);
            }
        }
        return new LossValue(loss, grads);
    }

    /**
     * The indices (into {@link #matryoshkaDims()}) used by the next {@link #compute} call, in
     * ascending order. Advances the random generator when a subset is drawn, exactly as
     * {@link #compute} does (package-private so tests can replay the draw of a twin instance).
     */
    int[] nextDimIndices() {
        int n = dims.length;
        if (nDimsPerStep < 1 || nDimsPerStep >= n) {
            return IntStream.range(0, n).toArray();
        }
        // Partial Fisher-Yates shuffle: the first nDimsPerStep entries are a uniform random subset.
        int[] indices = IntStream.range(0, n).toArray();
        for (int i = 0; i < nDimsPerStep; i++) {
            int j = i + random.nextInt(n - i);
            int t = indices[i];
            indices[i] = indices[j];
            indices[j] = t;
        }
        int[] chosen = Arrays.copyOf(indices, nDimsPerStep);
        Arrays.sort(chosen);
        return chosen;
    }
}
