package dev.embedtune.train.trainer;

/**
 * Training met a NaN or infinite loss (or gradient norm). The trainer throws it before the update,
 * so the parameters, the optimizer state and the checkpoints on disk are those of the last good
 * step. The message says what to do next: resume from the last checkpoint (named) when there is
 * one, else start again, in both cases with a lower learning rate or clean data.
 */
public final class NonFiniteLossException extends IllegalStateException {

    private final int step;
    private final double value;

    /**
     * @param step the optimizer step (1-based) that would have been taken
     * @param what "loss" or "gradient norm"
     * @param value the non-finite value
     * @param detail where it happened, e.g. the micro-batch
     * @param lastCheckpoint the newest complete checkpoint on disk, or null when none was written yet
     * @param learningRate the run's peak learning rate, for the advice
     */
    public NonFiniteLossException(int step, String what, double value, String detail, java.nio.file.Path lastCheckpoint,
            double learningRate) {
        super("non-finite " + what + " " + value + " at step " + step + " (" + detail + "); the update was not applied"
                + " and nothing was saved for this step. " + (lastCheckpoint == null
                        ? "No checkpoint was written yet: start again with a lower learning_rate (now " + learningRate
                                + ") or check the data"
                        : "Resume from " + lastCheckpoint + " (--resume) with a lower learning_rate (now " + learningRate
                                + ") or check the data"));
        this.step = step;
        this.value = value;
    }

    public int step() {
        return step;
    }

    public double value() {
        return value;
    }
}
