package dev.embedtune.train.mining;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.data.GroupSplit;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The (query, passage, group) pairs of one split of a shared-data JSONL file (fields {@code query},
 * {@code passage}, optional {@code group} and {@code split}; see the data README). A record's split
 * is its {@code split} field, else the {@link GroupSplit} rule on its group, else {@code train}.
 */
public final class PairsFile {

    private PairsFile() {
    }

    /**
     * @param split {@code train}, {@code test} or {@code all}
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException naming file, line and field when a record lacks {@code query} or {@code passage}
     * @throws IllegalArgumentException naming the file when no record has the split
     */
    public static List<HardNegativeMiner.Pair> read(Path file, String split) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such dataset file");
        }
        List<HardNegativeMiner.Pair> pairs = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                for (String field : List.of("query", "passage")) {
                    if (n == null || !n.path(field).isTextual()) {
                        throw new IOException(file + ":" + lineNumber + ": field \"" + field + "\" should be a string");
                    }
                }
                String group = n.hasNonNull("group") ? n.get("group").asText() : null;
                String recordSplit = n.hasNonNull("split") ? n.get("split").asText()
                        : group != null ? GroupSplit.splitOf(group) : "train";
                if (split.equals("all") || split.equals(recordSplit)) {
                    pairs.add(new HardNegativeMiner.Pair(n.get("query").asText(), n.get("passage").asText(), group));
                }
            }
        }
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException(file + " has no record of split " + split);
        }
        return pairs;
    }
}
