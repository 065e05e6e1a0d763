package dev.embedtune.train.loss;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The value of a loss on one batch and its gradient with respect to the embeddings.
 *
 * @param loss the scalar loss (the number sentence-transformers' {@code compute_loss_from_embeddings} returns)
 * @param gradients one {@code dL/dE} per column of the {@link EmbeddingBatch}, in column order, each
 *     {@code [B, D]} in the columns' data type
 */
public record LossValue(double loss, List<INDArray> gradients) {

    public LossValue {
        gradients = List.copyOf(gradients);
    }

    /** The gradient of column {@code index}, {@code [B, D]}. */
    public INDArray gradient(int index) {
        return gradients.get(index);
    }
}
