package dev.embedtune.spark;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.training.BaseQuantization;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Which embedding model an executor loads, in a form Spark can ship to it: the model directory as
 * the executors see it (a shared filesystem path, or the name of a directory shipped with
 * {@code --archives}), the quantisation of the base weights, and the {@link Embedder.Options}.
 * Equal specs share one loaded model per executor JVM ({@link ExecutorModels}).
 *
 * @param modelDir     the model directory on the executors
 * @param quantization {@code none}, {@code nf4}, {@code fp4} or {@code int8} ({@link BaseQuantization#parse})
 * @param batchSize    texts per forward pass
 * @param maxLength    tokens per text, or null for the model's max_seq_length
 * @param truncateDim  Matryoshka truncation, or null for the full dimension
 */
public record ModelSpec(String modelDir, String quantization, int batchSize, Integer maxLength, Integer truncateDim)
        implements Serializable {

    public ModelSpec {
        BaseQuantization.parse(quantization);   // fail on the driver, not in a task
        new Embedder.Options(batchSize, maxLength, truncateDim);
    }

    /** Float32 weights, the given batch size, the model's own max length and dimension. */
    public static ModelSpec of(Path modelDir, int batchSize) {
        return new ModelSpec(modelDir.toString(), "none", batchSize, null, null);
    }

    Embedder load() throws IOException {
        return Embedder.load(Path.of(modelDir), new Embedder.Options(batchSize, maxLength, truncateDim),
                BaseQuantization.parse(quantization));
    }
}
