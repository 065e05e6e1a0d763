/**
 * The training loop: sentence-transformers' {@code SentenceTransformerTrainer} on the JVM.
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link dev.embedtune.train.trainer.TrainableModel}: the seam to the model (parameters,
 *       gradient buffers, forward + backward through a loss, saving).</li>
 *   <li>{@link dev.embedtune.train.trainer.TrainingArguments}: HF's training arguments, read from
 *       YAML/JSON with HF's snake_case keys.</li>
 *   <li>{@link dev.embedtune.train.trainer.LearningRateSchedule}: {@code get_scheduler}'s rate per step.</li>
 *   <li>{@link dev.embedtune.train.trainer.AdamW}, {@link dev.embedtune.train.trainer.GradientClipping}:
 *       torch's optimizer and {@code clip_grad_norm_}.</li>
 *   <li>{@link dev.embedtune.train.trainer.Checkpoints}, {@link dev.embedtune.train.trainer.MetricsLog}:
 *       what lands in {@code output_dir}.</li>
 *   <li>{@link dev.embedtune.train.trainer.Trainer}: the loop, read top to bottom: batches, forward and
 *       backward, clip, step, schedule, log, evaluate, checkpoint.</li>
 *   <li>{@link dev.embedtune.train.trainer.FineTuneJob}: one QLoRA run from a base model directory,
 *       a dataset and a loss name to saved artefacts ({@code adapter/}, merged {@code model/}).</li>
 * </ul>
 *
 * <h2>Output directory</h2>
 * <pre>
 * output_dir/
 *     metrics.jsonl                 one JSON object per log line (see MetricsLog)
 *     checkpoint-&lt;step&gt;/            model.saveTrained output + trainer_state.safetensors + trainer_state.json
 *     final/                        model.saveTrained output after training (the best checkpoint's weights
 *                                   with load_best_model_at_end)
 * </pre>
 *
 * <h2>Reproducibility</h2>
 * The data order of epoch {@code e} and the dropout seed of each micro-batch are pure functions of
 * the seed, so a checkpoint holds only arrays and counters, and a resumed run equals an uninterrupted
 * one bit for bit (given a deterministic model and a loss without internal random state).
 */
package dev.embedtune.train.trainer;
