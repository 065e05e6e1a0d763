package dev.embedtune.train.trainer;

/**
 * Training met a NaN or infinite loss (or gradient norm). The trainer throws it before the update,
 * so the parameters, the optimizer state and the checkpoints on disk are those of the last good
 * step; resume from the last checkpoint with a lower learning rate or clean data.
 */
public final class NonFiniteLossException extends IllegalStateException {

    private final int step;
    private final double value;

    /**
     * @param step the optimizer step (1-based) that would have been taken
     * @param what "loss" or "gradient norm"
     * @param value the non-finite value
     * @param detail where it happened, e.g. the micro-batch
     */
    public NonFiniteLossException(int step, String what, double value, String detail) {
        super("non-finite " + what + " " + value + " at step " + step + " (" + detail + "); the update was not applied"
                + " and no checkpoint was written for this step. Resume from the last checkpoint, e.g. with a lower learning_rate");
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
