package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.TextEncoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvaluateCommandTest {

    /** Embeds a text as the counts of the words "river", "money", "room" (one-hot keywords). */
    private static final TextEncoder KEYWORDS = texts -> {
        float[][] out = new float[texts.size()][3];
        for (int i = 0; i < out.length; i++) {
            for (String w : texts.get(i).split("\\s+")) {
                switch (w) {
                    case "river" -> out[i][0]++;
                    case "money" -> out[i][1]++;
                    case "room" -> out[i][2]++;
                    default -> { }
                }
            }
        }
        return out;
    };

    @Test
    void printsOneJsonObjectOfMetricsPerDimension(@TempDir Path dir) throws IOException {
        // Test queries: r1 "river" (group bank), r2 "money" (group bank). Corpus: "river side", "money house",
        // "safe room money" — relevant to both: the two bank passages.
        //   r1 ranks "river side" (cos 1) first, then the others at cos 0 in corpus order: hits at 1 and 2 → NDCG 1.
        //   r2: "money house" cos 1, "safe room money" cos 1/√2, "river side" 0 → hits at 1, then rank 3:
        //       NDCG = (1 + 1/log2 4) / (1 + 1/log2 3).
        Path f = dir.resolve("t.jsonl");
        Files.write(f, List.of(
                "{\"id\":\"r1\",\"query\":\"river\",\"passage\":\"river side\",\"group\":\"bank\",\"split\":\"test\"}",
                "{\"id\":\"r2\",\"query\":\"money\",\"passage\":\"money house\",\"group\":\"bank\",\"split\":\"test\"}",
                "{\"id\":\"r3\",\"query\":\"vault\",\"passage\":\"safe room money\",\"group\":\"vault\",\"split\":\"train\"}"));
        Path[] loadedFrom = new Path[1];
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new EvaluateCommand(modelDir -> {
            loadedFrom[0] = modelDir;
            return KEYWORDS;
        }));
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("--model", dir.toString(), "--data", f.toString(), "--dims", "3,2");
        assertEquals(0, exit, out.toString());
        assertEquals(dir, loadedFrom[0]);
        JsonNode json = new ObjectMapper().readTree(out.toString());
        double expected = (1 + (1 + 0.5) / (1 + Math.log(2) / Math.log(3))) / 2;
        assertEquals(expected, json.get("dim_3_cosine_ndcg@10").asDouble(), 1e-12);
        assertTrue(json.has("dim_2_cosine_map@100"));
        assertTrue(json.has("sequential_score"));
        assertEquals(1, out.toString().strip().lines().count(), "one JSON object on one line");
    }
}
