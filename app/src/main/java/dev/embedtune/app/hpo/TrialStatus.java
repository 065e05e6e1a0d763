package dev.embedtune.app.hpo;

/** How a finished trial ended. */
public enum TrialStatus {
    /** Trained to the end of its budget; its score is comparable with other complete trials. */
    COMPLETE,
    /** Stopped by successive halving at a rung; its score is the last intermediate one. */
    PRUNED,
    /** The objective threw or reported failure; it has no score. */
    FAILED
}
