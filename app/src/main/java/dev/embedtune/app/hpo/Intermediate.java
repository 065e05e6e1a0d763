package dev.embedtune.train.hpo;

/** One intermediate report of a trial: its score after {@code resource} budget units. */
public record Intermediate(long resource, double score) {
}
