package dev.embedtune.app.hpo;

import dev.embedtune.train.eval.EvaluationResult;
import java.util.Objects;

/**
 * What an {@link Objective} returns. The study turns it into a {@link TrialRecord}: it takes the
 * score (the study's metric, or the result's primary metric) and its direction
 * ({@link EvaluationResult#greaterIsBetter()}) from {@code result}, and adds the wall time.
 *
 * @param result  the final evaluation (COMPLETE); null otherwise — a PRUNED trial's score is its
 *                last report, a FAILED one has none
 * @param message why a trial was pruned or failed; may be null when complete
 */
public record TrialOutcome(TrialStatus status, EvaluationResult result, String message) {

    public TrialOutcome {
        Objects.requireNonNull(status, "status");
        if (status == TrialStatus.COMPLETE && result == null) {
            throw new IllegalArgumentException("a COMPLETE outcome needs its evaluation result");
        }
    }

    /** Trained to the end; {@code result} is the final validation evaluation. */
    public static TrialOutcome complete(EvaluationResult result) {
        return new TrialOutcome(TrialStatus.COMPLETE, result, null);
    }

    /** Stopped after a PRUNE verdict. */
    public static TrialOutcome pruned(String message) {
        return new TrialOutcome(TrialStatus.PRUNED, null, message);
    }

    /** Could not train or evaluate (e.g. the loss diverged to NaN). */
    public static TrialOutcome failed(String message) {
        return new TrialOutcome(TrialStatus.FAILED, null, Objects.requireNonNull(message, "message"));
    }
}
