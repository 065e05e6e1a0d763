/**
 * A fine-tuning run's report: the {@link dev.embedtune.train.report.RunReport} record (base against
 * fine-tuned metrics per Matryoshka dimension, timings, training summary, settings), written by
 * {@link dev.embedtune.train.report.ReportWriter} as {@code report.json} and {@code report.md}, and the
 * trainer's {@code metrics.jsonl} read back ({@link dev.embedtune.train.report.TrainingHistory}). The
 * charts are the application's ({@code dev.embedtune.app.report.RunCharts}): this library draws none.
 */
package dev.embedtune.train.report;
