package dev.embedtune.spark;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.embed.SortedBatches;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A {@link TextEncoder} whose rows are computed on the executors: each {@link #encode} call is cut into
 * the batches the local {@link Embedder} makes of it ({@link SortedBatches}: longest first,
 * {@code batchSize} texts), and each batch is one {@code encode} call of the executor's model
 * ({@link CorpusEmbedding#encodeCalls}, one Spark job per call, its batches spread over the tasks).
 * A batch goes to the model as it would locally, so the rows are the local Embedder's bits.
 */
public final class SparkTextEncoder implements TextEncoder {

    private final JavaSparkContext sc;
    private final ModelSpec model;
    private final int partitions;

    /** @param partitions at most this many tasks per call (each gets whole batches) */
    public SparkTextEncoder(JavaSparkContext sc, ModelSpec model, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        this.sc = sc;
        this.model = model;
        this.partitions = partitions;
    }

    @Override
    public float[][] encode(List<String> texts) {
        if (texts.isEmpty()) {
            return new float[0][];
        }
        List<List<String>> batches = new ArrayList<>();
        SortedBatches.encode(texts, model.batchSize(), batch -> {
            batches.add(new ArrayList<>(batch));
            return new float[batch.size()][];
        });
        float[][][] rows = CorpusEmbedding.encodeCalls(sc, batches, model, null, partitions);
        Iterator<float[][]> next = List.of(rows).iterator();
        return SortedBatches.encode(texts, model.batchSize(), batch -> next.next());
    }
}
