package dev.embedtune.spark;

import dev.embedtune.model.embed.Embedder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Corpus embedding on Spark: a DataFrame with a text column in, the same rows (same order within each
 * partition) plus an {@code embedding} column ({@code array<float>}) out. Each partition is read in
 * chunks of {@code chunk} rows; a chunk's texts go to the executor's one {@link Embedder} of the
 * spec ({@link ExecutorModels}), which sorts them by length and batches them as it does locally.
 */
public final class CorpusEmbedding {

    /** The column added. */
    public static final String COLUMN = "embedding";
    /** Rows per {@link Embedder#encode} call within a partition (as {@code embedtune embed} reads its file). */
    public static final int DEFAULT_CHUNK = 4096;

    private CorpusEmbedding() {
    }

    /**
     * @param field  the text column (string, no nulls)
     * @param prompt put before every text, or null for the model's default prompt
     * @throws IllegalArgumentException when {@code field} is missing, not a string, or already named
     *     {@value #COLUMN}
     */
    public static Dataset<Row> embed(Dataset<Row> texts, String field, ModelSpec spec, String prompt, int chunk) {
        StructType schema = texts.schema();
        if (!Arrays.asList(schema.fieldNames()).contains(field)) {
            throw new IllegalArgumentException("the input has no column '" + field + "'; its columns are "
                    + String.join(", ", schema.fieldNames()));
        }
        if (!(schema.apply(field).dataType() instanceof StringType)) {
            throw new IllegalArgumentException("column '" + field + "' should hold strings, found "
                    + schema.apply(field).dataType().simpleString());
        }
        if (Arrays.asList(schema.fieldNames()).contains(COLUMN)) {
            throw new IllegalArgumentException("the input already has a column '" + COLUMN + "'");
        }
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        }
        int column = schema.fieldIndex(field);
        StructType out = schema.add(new StructField(COLUMN, DataTypes.createArrayType(DataTypes.FloatType, false), false,
                org.apache.spark.sql.types.Metadata.empty()));
        return texts.mapPartitions(
                (org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row>) rows ->
                        new Chunked(rows, ExecutorModels.embedder(spec), column, field, prompt, chunk),
                Encoders.row(out));
    }

    /**
     * Embeds each list of texts with one {@link Embedder#encode} call on an executor, as a local caller
     * making the same calls would (same texts per call, so the same sort and batches, hence the same
     * bits on the same machine); results in call order.
     */
    public static float[][][] encodeCalls(JavaSparkContext sc, List<List<String>> calls, ModelSpec spec, String prompt,
            int partitions) {
        List<ArrayList<String>> shipped = new ArrayList<>();
        calls.forEach(c -> shipped.add(new ArrayList<>(c)));
        List<float[][]> out = sc.parallelize(shipped, Math.max(1, Math.min(partitions, calls.size())))
                .map(call -> encode(ExecutorModels.embedder(spec), call, prompt))
                .collect();   // in call order
        return out.toArray(float[][][]::new);
    }

    /**
     * One call on the JVM's shared embedder, holding it for the whole call: tasks of one executor take
     * turns per call, not per batch (interleaved batches of two tasks have different shapes, and the
     * encoder would reallocate its activation buffers at every batch).
     */
    static float[][] encode(Embedder embedder, List<String> texts, String prompt) {
        synchronized (embedder) {
            return prompt == null ? embedder.encode(texts) : embedder.encode(texts, prompt);
        }
    }

    /** The rows of a partition with their embeddings, a chunk at a time. */
    private static final class Chunked implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final Embedder embedder;
        private final int column;
        private final String field;
        private final String prompt;
        private final int chunk;
        private final List<Row> buffer = new ArrayList<>();
        private float[][] vectors;
        private int next;
        private long seen;

        Chunked(Iterator<Row> rows, Embedder embedder, int column, String field, String prompt, int chunk) {
            this.rows = rows;
            this.embedder = embedder;
            this.column = column;
            this.field = field;
            this.prompt = prompt;
            this.chunk = chunk;
        }

        @Override
        public boolean hasNext() {
            if (next < buffer.size()) {
                return true;
            }
            buffer.clear();
            next = 0;
            List<String> texts = new ArrayList<>();
            while (buffer.size() < chunk && rows.hasNext()) {
                Row r = rows.next();
                seen++;
                if (r.isNullAt(column)) {
                    throw new IllegalArgumentException("column '" + field + "' is null in row " + seen
                            + " of partition " + org.apache.spark.TaskContext.getPartitionId() + ": every row needs a text");
                }
                buffer.add(r);
                texts.add(r.getString(column));
            }
            if (buffer.isEmpty()) {
                return false;
            }
            vectors = encode(embedder, texts, prompt);
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Row r = buffer.get(next);
            Object[] values = new Object[r.length() + 1];
            for (int i = 0; i < r.length(); i++) {
                values[i] = r.get(i);
            }
            float[] v = vectors[next++];
            Float[] boxed = new Float[v.length];
            for (int i = 0; i < v.length; i++) {
                boxed[i] = v[i];
            }
            values[r.length()] = boxed;
            return RowFactory.create(values);
        }
    }
}
