package dev.embedtune.train.pipeline;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.train.trainer.TrainableModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the pipeline's heavy work runs: the embeddings of its evaluations and of dense mining, and the
 * training step. {@link #LOCAL} runs both in this process; a cluster front end (the spark module)
 * supplies its own, and everything else (data, mining rules, loss, sampler, optimizer, schedule,
 * checkpoints, outputs, report) stays the pipeline's, so the two cannot drift apart.
 */
public interface PipelineBackend {

    /**
     * The encoder the evaluations and dense mining use for {@code modelDir}: float32 weights, batches of
     * {@link Pipeline#EVAL_BATCH_SIZE} texts sorted as {@link Embedder} sorts them, the spec's max length.
     */
    TextEncoder encoder(Path modelDir, RunSpec spec) throws IOException;

    /**
     * The model the trainer trains for {@code job}: the job's own model, or one whose forward and
     * backward run elsewhere while its parameters and gradients are the job's model's (so the
     * optimizer, the checkpoints and {@link FineTuneJob#save} see the trained adapters). Closed after
     * training when it is {@link AutoCloseable} and not the job's model.
     */
    TrainableModel trainable(FineTuneJob job) throws IOException;

    /** Everything in this process. */
    PipelineBackend LOCAL = new PipelineBackend() {
        @Override
        public TextEncoder encoder(Path modelDir, RunSpec spec) throws IOException {
            return Embedder.load(modelDir, new Embedder.Options(Pipeline.EVAL_BATCH_SIZE, spec.maxLength(), null));
        }

        @Override
        public TrainableModel trainable(FineTuneJob job) {
            return job.model();
        }
    };
}
