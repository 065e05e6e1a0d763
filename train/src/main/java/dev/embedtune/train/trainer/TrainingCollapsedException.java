package dev.embedtune.train.trainer;

/**
 * Training went on without error but the model stopped learning anything: every text embeds to
 * (nearly) the same vector, or the gradients are zero while the loss sits at the value such a model
 * gives. The trainer throws it before {@code final/} is written (and the pipeline before
 * {@code adapter/} and {@code model/}), so no earlier good result is replaced by a collapsed one. The
 * message names the symptom, the step and the likely cause (most often a learning rate far too high).
 */
public final class TrainingCollapsedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;
    private final int step;

    public TrainingCollapsedException(int step, String message) {
        super(message);
        this.step = step;
    }

    /** The optimizer step at which the collapse was seen. */
    public int step() {
        return step;
    }
}
