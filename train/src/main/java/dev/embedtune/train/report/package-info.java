/**
 * A fine-tuning run's report: the {@link dev.embedtune.train.report.RunReport} record (base against
 * fine-tuned metrics per Matryoshka dimension, timings, training summary, settings), written by
 * {@link dev.embedtune.train.report.ReportWriter} as {@code report.json} and {@code report.md}, with
 * the PNG charts of {@link dev.embedtune.train.report.RunCharts} drawn from the report and from the
 * trainer's {@code metrics.jsonl} ({@link dev.embedtune.train.report.TrainingHistory}).
 */
package dev.embedtune.train.report;
