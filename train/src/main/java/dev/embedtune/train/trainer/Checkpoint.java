package dev.embedtune.train.trainer;

import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A checkpoint read back from disk: the trainer's state and the arrays a resume restores.
 *
 * @param dir the checkpoint directory
 * @param state counters, data position, best metric
 * @param parameters the trainable parameters by name, exactly as they were
 * @param firstMoments AdamW's {@code exp_avg} by parameter name
 * @param secondMoments AdamW's {@code exp_avg_sq} by parameter name
 */
public record Checkpoint(Path dir, TrainerState state, Map<String, INDArray> parameters,
        Map<String, INDArray> firstMoments, Map<String, INDArray> secondMoments) {
}
