package dev.embedtune.train.trainer;

import java.nio.file.Path;

/**
 * The summary of a finished {@link Trainer#train} call (HF's {@code TrainOutput} plus the best checkpoint).
 *
 * @param globalStep steps done in total (including those before a resume)
 * @param trainingLoss the mean step loss over all steps of the run ({@code train_loss})
 * @param runtimeSeconds wall time of this call
 * @param bestCheckpoint the best checkpoint's directory, or null without evaluation
 * @param bestMetric its metric value, or null
 * @param finalDir where the trained weights were saved ({@code <output_dir>/final})
 */
public record TrainResult(int globalStep, double trainingLoss, double runtimeSeconds, Path bestCheckpoint, Double bestMetric,
        Path finalDir) {
}
