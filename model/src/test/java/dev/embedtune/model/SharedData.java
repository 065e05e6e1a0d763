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

    /** The query and passage of the first {@code records} records, interleaved: mixed lengths. */
    public static List<String> queriesAndPassages(String name, int records) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file(name))) {
            String line;
            while ((line = r.readLine()) != null && out.size() < 2 * records) {
                JsonNode n = json.readTree(line);
                out.add(n.get("query").asText());
                out.add(n.get("passage").asText());
            }
        }
        return out;
    }
}
