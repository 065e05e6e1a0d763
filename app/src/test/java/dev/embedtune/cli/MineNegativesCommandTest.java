package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** BM25 mining end to end on the shipped Jargon File set: no negative ever shares the query's group. */
class MineNegativesCommandTest {

    @TempDir
    Path dir;

    @Test
    void bm25MiningOnTheJargonFile() throws Exception {
        Path data = dev.embedtune.train.pipeline.PipelineData.shippedDataset(dir.resolve("jargon.jsonl"));
        Map<String, String> groupOfPassage = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(data)) {
            JsonNode n = json.readTree(line);
            groupOfPassage.put(n.get("passage").asText(), n.get("group").asText());
        }
        Map<String, String> groupOfQuery = new HashMap<>();
        for (String line : Files.readAllLines(data)) {
            JsonNode n = json.readTree(line);
            groupOfQuery.put(n.get("query").asText(), n.get("group").asText());
        }
        Path out = dir.resolve("triplets.jsonl");
        StringWriter o = new StringWriter(), e = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(o, true));
        cli.setErr(new PrintWriter(e, true));
        assertEquals(0, cli.execute("mine-negatives", "--data", data.toString(), "--output", out.toString(),
                "--method", "bm25", "--num-negatives", "2"), e.toString());
        List<String> rows = Files.readAllLines(out);
        assertTrue(rows.size() > 1749, "about 2 triplets per training pair: " + rows.size());
        for (String row : rows) {
            JsonNode t = json.readTree(row);
            String group = groupOfQuery.get(t.get("anchor").asText());
            assertFalse(group.equals(groupOfPassage.get(t.get("negative").asText())), "same-group negative in " + row);
            assertFalse(t.get("negative").asText().equals(t.get("positive").asText()));
        }
        assertTrue(o.toString().contains("queries"), o.toString());
    }
}
