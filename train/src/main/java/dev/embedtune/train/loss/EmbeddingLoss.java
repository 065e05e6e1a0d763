package dev.embedtune.train.loss;

/**
 * A loss computed from sentence embeddings: the value and the gradient with respect to every input
 * embedding.
 *
 * <p>Implementations are stateless apart from their configuration (and, for
 * {@link MatryoshkaLoss} with {@code nDimsPerStep > 0}, a seeded random generator), never modify
 * the input arrays, and return gradients with the same shape and data type as the columns.
 */
public interface EmbeddingLoss {

    /**
     * Computes the loss of one batch and its gradient.
     *
     * @param batch the embeddings of every text column (and the labels, for losses that take them)
     * @return the loss and one gradient {@code dL/dE} per column, in column order
     * @throws IllegalArgumentException if the batch has the wrong number of columns, or lacks labels
     *     the loss needs
     */
    LossValue compute(EmbeddingBatch batch);

    /**
     * What this loss asks of the encoder: 0 to embed each column in one pass (every loss but the
     * cached ones), or the rows of one GradCache mini-batch ({@link CachedMultipleNegativesRankingLoss}):
     * embed without activations in mini-batches, compute the loss on the full batch, then embed each
     * mini-batch again and back-propagate its rows of dL/dE. A wrapper answers for what it wraps.
     */
    default int gradCacheMiniBatchSize() {
        return 0;
    }
}
