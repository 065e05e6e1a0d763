package dev.embedtune.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.trainer.TinyModelDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared-format JSONL files from {@link TinyModelDir#pairs}: id, query, passage, group, split (every 4th group test). */
final class TestData {
    private TestData() {
    }

    static Path pairsFile(Path file, int n) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder out = new StringBuilder();
        List<String[]> pairs = TinyModelDir.pairs(n);
        for (int i = 0; i < pairs.size(); i++) {
            String[] p = pairs.get(i);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", "r" + i);
            o.put("query", p[0]);
            o.put("passage", p[1]);
            o.put("group", p[2]);
            o.put("split", (i / 2) % 4 == 0 ? "test" : "train");
            out.append(json.writeValueAsString(o)).append('\n');
        }
        Files.writeString(file, out, StandardCharsets.UTF_8);
        return file;
    }
}
