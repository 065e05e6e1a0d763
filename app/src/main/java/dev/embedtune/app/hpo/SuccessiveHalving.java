package dev.embedtune.app.hpo;

import java.util.List;

/**
 * The rung rule of asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
 * Hyperparameter Tuning", MLSys 2020, arXiv:1810.05934), in its stopping form: trials cannot be
 * paused and resumed later, so instead of promoting a waiting trial, a running trial that reaches
 * rung k either continues or is stopped (pruned) on the spot. This is what Optuna's
 * {@code SuccessiveHalvingPruner} and Ray Tune's {@code ASHAScheduler} do.
 *
 * <p>Rule: a trial reaching rung k with score v is compared with the scores every trial recorded at
 * rung k so far (finished, pruned or still running, itself included; n of them). It continues iff v
 * is at least as good as the {@code max(1, ⌊n/η⌋)}-th best of them — the top 1/η, and while fewer
 * than η trials have reached the rung (ASHA would wait there), only a trial as good as the best so
 * far. Ties continue. A NaN score counts as the worst.
 *
 * <p>A trial's score at rung k is its first report at a resource ≥ the rung's ({@link #rungScore}),
 * so an objective should report at the rungs {@link Budget#rungs()} lists.
 *
 * <p>Why this sampler: random search is the right baseline for 5–8 mixed dimensions with few
 * trials (Bergstra &amp; Bengio 2012), and ASHA makes each trial cheap when it is bad; it needs no
 * coordination beyond the shared rung scores, so several processes can run one study, and a single
 * process with a fixed seed is reproducible. A model-based sampler (TPE) could replace
 * {@link SearchSpace#sample} later without changing the study format.
 */
public final class SuccessiveHalving {

    private SuccessiveHalving() {
    }

    /**
     * Whether a trial with {@code score} at a rung continues.
     *
     * @param rungScores      the scores recorded at this rung, including this trial's
     * @param reductionFactor η
     */
    public static boolean continues(double score, List<Double> rungScores, int reductionFactor, boolean greaterIsBetter) {
        if (rungScores.isEmpty()) {
            throw new IllegalArgumentException("rungScores must include the trial's own score");
        }
        if (Double.isNaN(score)) {
            return false;
        }
        // Best first, NaN last.
        double[] sorted = rungScores.stream()
                .mapToDouble(v -> Double.isNaN(v) ? Double.NEGATIVE_INFINITY : greaterIsBetter ? v : -v)
                .sorted().toArray();
        int keep = Math.max(1, sorted.length / reductionFactor);
        double threshold = sorted[sorted.length - keep];
        return (greaterIsBetter ? score : -score) >= threshold;
    }

    /** The score a trial recorded at a rung: its first report at or past the rung's resource, or NaN if none. */
    public static double rungScore(List<Intermediate> reports, long rungResource) {
        for (Intermediate r : reports) {
            if (r.resource() >= rungResource) {
                return r.score();
            }
        }
        return Double.NaN;
    }

    /** Whether a trial has a score at a rung. */
    public static boolean reached(List<Intermediate> reports, long rungResource) {
        return reports.stream().anyMatch(r -> r.resource() >= rungResource);
    }
}
