package dev.embedtune.train.trainer;

/**
 * What one optimizer step did, for listeners.
 *
 * @param step the global step just completed (1-based)
 * @param maxSteps the run's total steps
 * @param epoch the epoch as a fraction, as HF logs it ({@code e + micro-batches done / micro-batches in e})
 * @param loss this step's loss (the sum over its micro-batches of {@code loss / gradient_accumulation_steps})
 * @param learningRate the rate this step's update used
 * @param gradNorm the global gradient norm before clipping
 */
public record StepOutcome(int step, int maxSteps, double epoch, double loss, double learningRate, double gradNorm) {
}
