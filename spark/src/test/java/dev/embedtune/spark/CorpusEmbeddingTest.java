package dev.embedtune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.train.trainer.TinyModelDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Distributed corpus embedding ({@code SparkMain embed} on local[2]) against the local {@link Embedder} on
 * the same texts: every value within 1e-6 (float32; a text may land in a differently padded batch,
 * which reorders some float sums), JSONL line for line in input order, Parquet with the input's columns.
 */
class CorpusEmbeddingTest {

    @TempDir
    Path dir;

    @Test
    void sparkEmbedEqualsTheLocalEmbedder() throws Exception {
        Path model = TinyModelDir.write(dir.resolve("model"), 3);
        List<String> texts = new ArrayList<>();
        StringBuilder jsonl = new StringBuilder();
        ObjectMapper json = new ObjectMapper();
        for (String[] p : TinyModelDir.pairs(60)) {
            for (String t : List.of(p[0], p[1])) {
                texts.add(t);
                jsonl.append(json.writeValueAsString(java.util.Map.of("text", t, "n", texts.size()))).append('\n');
            }
        }
        Path input = Files.writeString(dir.resolve("texts.jsonl"), jsonl, StandardCharsets.UTF_8);
        SparkTestSession.get();
        int before = ExecutorModels.loads();

        Path out = dir.resolve("out.jsonl");
        int code = new CommandLine(new SparkMain()).execute("--master", SparkTestSession.MASTER, "embed",
                "--model", model.toString(), "--input", input.toString(), "--field", "text", "--output", out.toString(),
                "--partitions", "3");
        assertEquals(0, code);
        float[][] expected = Embedder.load(model).encode(texts);
        List<String> lines = Files.readAllLines(out);
        assertEquals(texts.size(), lines.size(), "one line per input line");
        double maxDiff = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode v = json.readTree(lines.get(i)).get("embedding");
            assertEquals(expected[i].length, v.size());
            for (int d = 0; d < v.size(); d++) {
                maxDiff = Math.max(maxDiff, Math.abs(v.get(d).floatValue() - expected[i][d]));
            }
        }
        assertTrue(maxDiff <= 1e-6, "max abs difference " + maxDiff);

        // Parquet: the input's columns plus embedding, same rows; the executor's model is reused
        Path parquet = dir.resolve("out.parquet");
        assertEquals(0, new CommandLine(new SparkMain()).execute("--master", SparkTestSession.MASTER, "embed",
                "--model", model.toString(), "--input", input.toString(), "--output", parquet.toString()));
        List<Row> rows = SparkTestSession.get().read().parquet(parquet.toString()).orderBy("n").collectAsList();
        assertEquals(texts.size(), rows.size());
        for (Row r : rows) {
            int i = (int) r.getLong(r.fieldIndex("n")) - 1;
            assertEquals(texts.get(i), r.getString(r.fieldIndex("text")));
            List<Float> v = r.getList(r.fieldIndex("embedding"));
            for (int d = 0; d < v.size(); d++) {
                assertEquals(expected[i][d], v.get(d), 1e-6, "row " + i + " dim " + d);
            }
        }
        assertEquals(1, ExecutorModels.loads() - before, "one model load for two jobs and 4 tasks in this JVM");
    }
}
