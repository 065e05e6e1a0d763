/**
 * The fine-tuning job end to end: a {@link dev.embedtune.train.pipeline.PipelineConfig} (YAML/JSON,
 * Hugging Face key names for the trainer) run by {@link dev.embedtune.train.pipeline.Pipeline}: base
 * model, data, base evaluation, hard-negative mining, QLoRA fine-tuning
 * ({@link dev.embedtune.train.trainer.FineTuneJob}), fine-tuned evaluation, report
 * ({@link dev.embedtune.train.report}).
 */
package dev.embedtune.train.pipeline;
