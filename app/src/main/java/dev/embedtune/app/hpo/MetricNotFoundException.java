package dev.embedtune.app.hpo;

import java.util.Collection;

/**
 * The study's metric is not among an evaluation's metrics. This is a mistake in the study, not in
 * one trial, so it ends {@link Study#optimize} instead of failing every trial in turn.
 */
public final class MetricNotFoundException extends IllegalArgumentException {

    public MetricNotFoundException(String metric, Collection<String> available) {
        super("the study optimises metric " + metric + ", which the evaluation does not report; it reports " + available);
    }
}
