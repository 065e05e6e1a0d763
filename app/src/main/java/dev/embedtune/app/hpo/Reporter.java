package dev.embedtune.app.hpo;

import dev.embedtune.train.eval.EvaluationResult;

/**
 * Where an {@link Objective} sends its intermediate evaluations, and learns whether to go on.
 * The study reads the study's metric from the result, records it, and applies the
 * {@link SuccessiveHalving} rule at each rung the report reaches.
 */
@FunctionalInterface
public interface Reporter {

    /** What the objective should do after a report. */
    enum Verdict { CONTINUE, PRUNE }

    /**
     * Records the evaluation after {@code resource} budget units (steps or epochs, as the
     * {@link Budget} says; non-decreasing across calls).
     *
     * @return {@link Verdict#PRUNE} when the trial fell out of the top 1/η of a rung: the objective
     *         should stop training and return {@link TrialOutcome#pruned}. Once PRUNE, always PRUNE.
     */
    Verdict report(long resource, EvaluationResult result);
}
