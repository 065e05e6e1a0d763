package dev.embedtune.train.trainer;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.train.loss.EmbeddingLoss;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the {@link Trainer} trains: a model with named trainable parameters (for embedtune, the LoRA
 * adapters of a frozen, possibly 4-bit, encoder) that embeds columns of texts, applies a loss and
 * back-propagates it into gradient buffers. The trainer owns the optimizer, the schedule, the data
 * order and the checkpoints; the model owns the forward and backward.
 */
public interface TrainableModel {

    /**
     * The trainable parameters by name, in a fixed order. The trainer updates these arrays in place;
     * their names are the keys written to checkpoints.
     */
    Map<String, INDArray> parameters();

    /** One gradient buffer per parameter, same names and shapes; {@link #forwardBackward} adds into them. */
    Map<String, INDArray> gradients();

    /** Sets every gradient buffer to zero. */
    void zeroGradients();

    /**
     * Embeds every column of texts (each {@code B} texts, in dataset column order), computes
     * {@code loss} on the embeddings, and adds {@code lossScale · dLoss/dParameter} into the gradient
     * buffers (so gradient accumulation over micro-batches passes {@code 1/accumulationSteps}).
     *
     * @param columns the texts of each column, all of the same length B
     * @param labels {@code [B]} float labels, or null for losses without labels
     * @param loss the loss on the embeddings
     * @param lossScale the factor applied to the gradient (not to the returned loss)
     * @param dropoutSeed the seed of this step's dropout masks, so a resumed run draws the same masks
     * @return the loss value (unscaled)
     */
    double forwardBackward(List<List<String>> columns, INDArray labels, EmbeddingLoss loss, double lossScale,
            long dropoutSeed);

    /** Writes the trained weights (for LoRA: PEFT's adapter layout) into {@code dir}, each file atomically. */
    void saveTrained(Path dir) throws IOException;

    /** An encoder with the current weights, for evaluation during training. */
    TextEncoder encoder();
}
