package dev.embedtune.app.hpo;

/**
 * One trial's work: train with the sampled settings and evaluate on the validation split. This is
 * the seam between the search and the trainer; the search never looks inside.
 *
 * <p>Contract: train for at most {@code budget.max()} units of {@code budget.unit()}; evaluate and
 * call {@code reporter.report(resource, result)} at least at every rung of
 * {@link Budget#rungs()} (more often is fine); when the verdict is
 * {@link Reporter.Verdict#PRUNE PRUNE}, stop and return {@link TrialOutcome#pruned}; at the end,
 * return {@link TrialOutcome#complete} with the final evaluation. A thrown {@link Exception} or
 * {@link OutOfMemoryError} records the trial as FAILED with its message and the study goes on (a
 * batch size that runs out of memory must not end the study); a failed trial is not retried. Any
 * other {@link Error} ends the study and leaves the trial to be run again on resume.
 */
@FunctionalInterface
public interface Objective {

    TrialOutcome run(TrialSettings settings, Budget budget, Reporter reporter) throws Exception;
}
