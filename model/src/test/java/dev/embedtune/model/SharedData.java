package dev.embedtune.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The real data in ../shared/data, or a skipped test with a message when it is absent. */
public final class SharedData {
    private SharedData() {
    }

    public static Path file(String name) {
        Path dir = Path.of(System.getProperty("embedtune.shared", "../shared")).resolve("data");
        Path f = dir.resolve(name);
        assumeTrue(Files.isRegularFile(f), "skipped: " + f.toAbsolutePath()
                + " is absent (the shared data sits beside the checkout only on the project's machines)");
        return f;
    }

    /**
     * {@code count} texts of mixed lengths: every record's query (a few tokens) and every third
     * record's passage (tens to hundreds of tokens, some past the truncation length), in file order.
     */
    public static List<String> mixedTexts(String name, int count) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file(name))) {
            String line;
            for (int record = 0; (line = r.readLine()) != null && out.size() < count; record++) {
                JsonNode n = json.readTree(line);
                out.add(n.get("query").asText());
                if (record % 3 == 0 && out.size() < count) {
                    out.add(n.get("passage").asText());
                }
            }
        }
        return out;
    }
}
