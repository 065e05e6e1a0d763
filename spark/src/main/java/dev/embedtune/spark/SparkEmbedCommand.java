package dev.embedtune.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.onnx.ModelCache;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code embed} on Spark: {@code embedtune embed}'s options; the input is anything Spark reads
 * (by extension: {@code .jsonl}/{@code .json}, {@code .parquet}, {@code .csv} with a header, or a
 * directory of Parquet files). OUT ending in {@code .jsonl} gets the local command's file, one
 * {@code {"embedding":[…]}} line per input row in input order, written by the driver; anything else
 * gets Parquet: the input's columns plus {@code embedding}.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed a text column on the executors: Parquet (input columns + embedding), or JSONL as `embedtune embed`.")
public final class SparkEmbedCommand implements Callable<Integer> {

    @ParentCommand
    SparkMain parent;

    @Option(names = "--model", required = true, description = "Model directory as the executors see it (shared filesystem or --archives)")
    String model;

    @Option(names = "--input", required = true, description = "Texts: .jsonl, .parquet, .csv (header) or a Parquet directory")
    String input;

    @Option(names = "--field", defaultValue = "text", description = "The column holding the text (default: ${DEFAULT-VALUE})")
    String field;

    @Option(names = "--output", required = true, description = "OUT.jsonl (as embedtune embed) or a Parquet directory")
    String output;

    @Option(names = "--batch-size", defaultValue = "32", description = "Texts per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--max-length", description = "Tokens per text, special tokens included (default: the model's max_seq_length)")
    Integer maxLength;

    @Option(names = "--prompt", description = "Text put before every input, e.g. 'query: ' (default: the model's default prompt)")
    String prompt;

    @Option(names = "--truncate-dim", description = "Keep the first D dimensions (Matryoshka models)")
    Integer truncateDim;

    @Option(names = "--precision", defaultValue = "float32", description = "float32 only on Spark (default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--quantization", defaultValue = "none",
            description = "Hold the base weights as none, nf4, fp4 or int8 on the executors (default: ${DEFAULT-VALUE})")
    String quantization;

    @Option(names = "--partitions", description = "Repartition the input into N partitions first (default: as read)")
    Integer partitions;

    @Spec
    CommandSpec spec;

    private static final String ROW = "__embedtune_row";

    @Override
    public Integer call() throws Exception {
        if (!precision.equalsIgnoreCase("float32")) {
            throw new ParameterException(spec.commandLine(), "--precision " + precision
                    + ": only float32 on Spark (quantise the Parquet output with the embedding API)");
        }
        ModelSpec modelSpec;
        try {
            String dir = model.startsWith("builtin:") ? ModelCache.resolve(model).toString() : model;
            modelSpec = new ModelSpec(dir, quantization, batchSize, maxLength, truncateDim);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        SparkSession spark = parent.session();
        Dataset<Row> texts = SparkInputs.read(spark, input);
        boolean ordered = output.endsWith(".jsonl");
        if (partitions != null) {
            // contiguous ranges of the input, each in input order, so that the JSONL keeps the input's order
            texts = texts.withColumn(ROW, org.apache.spark.sql.functions.monotonically_increasing_id())
                    .repartitionByRange(partitions, org.apache.spark.sql.functions.col(ROW))
                    .sortWithinPartitions(ROW);
        }
        Dataset<Row> embedded;
        try {
            embedded = CorpusEmbedding.embed(texts, field, modelSpec, prompt, CorpusEmbedding.DEFAULT_CHUNK);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), input + ": " + e.getMessage());
        }
        long rows;
        if (partitions != null) {
            embedded = embedded.drop(ROW);
        }
        if (ordered) {
            rows = writeJsonl(embedded, Path.of(output));
        } else {
            embedded.write().mode("overwrite").parquet(output);
            rows = spark.read().parquet(output).count();
        }
        spec.commandLine().getOut().printf("%,d embeddings -> %s%n", rows, output);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The local command's JSONL, in input order, written by the driver into a temporary file and renamed. */
    static long writeJsonl(Dataset<Row> embedded, Path output) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        Path dir = output.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + output.getFileName(), ".tmp");
        long rows = 0;
        try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            Iterator<Row> it = embedded.select(CorpusEmbedding.COLUMN).toLocalIterator();
            while (it.hasNext()) {
                List<Float> v = it.next().getList(0);
                float[] f = new float[v.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = v.get(i);
                }
                out.write("{\"embedding\":" + json.writeValueAsString(f) + "}\n");
                rows++;
            }
        } catch (java.io.IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return rows;
    }
}
