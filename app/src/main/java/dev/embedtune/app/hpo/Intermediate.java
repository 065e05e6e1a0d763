package dev.embedtune.app.hpo;

/** One intermediate report of a trial: its score after {@code resource} budget units. */
public record Intermediate(long resource, double score) {
}
