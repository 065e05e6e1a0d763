package dev.embedtune.cli;

import static dev.embedtune.cli.FinetuneCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.trainer.TinyModelDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 3 end to end: {@code finetune … --lr 1e3 --overwrite} over a good earlier run on the
 * tiny model stops with one line that names the symptom and the likely cause (exit 1), and the earlier
 * run's {@code adapter/} and {@code model/} are still there, byte for byte.
 */
class CollapsedRunCommandTest {

    @TempDir
    Path tmp;

    @Test
    void aCollapsedRunIsNamedAndNeverReplacesThePreviousResult() throws Exception {
        Path model = TinyModelDir.write(tmp.resolve("tiny"), 5);
        Path data = tmp.resolve("pairs.jsonl");
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (String[] p : TinyModelDir.pairs(32)) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("query", p[0]);
            o.put("passage", p[1]);
            lines.append(json.writeValueAsString(o)).append('\n');
        }
        Files.writeString(data, lines);
        Path out = tmp.resolve("out");
        String[] common = {"finetune", "--model", model.toString(), "--train", data.toString(), "--out", out.toString(),
                "--split", "all", "--max-steps", "8", "--batch-size", "8", "--save-steps", "4", "--lora-r", "4", "--no-progress"};

        FinetuneCommandTest.Run good = run(concat(common, "--lr", "1e-2"));
        assertEquals(0, good.exit(), good.err());
        String adapter = sha256(out.resolve("adapter/adapter_model.safetensors"));
        String merged = sha256(out.resolve("model/model.safetensors"));

        FinetuneCommandTest.Run bad = run(concat(common, "--lr", "1e3", "--overwrite"));
        assertEquals(1, bad.exit(), bad.err());
        List<String> errorLines = bad.err().lines().filter(l -> l.startsWith("embedtune finetune: ")).toList();
        assertEquals(1, errorLines.size(), bad.err());
        String line = errorLines.get(0);
        System.out.println(line);
        assertTrue(line.contains("training collapsed") || line.contains("non-finite"), line);
        assertTrue(line.contains("learning") && line.contains("1000.0"), "names the likely cause: " + line);
        assertFalse(bad.err().contains("\tat "), "no stack trace: " + bad.err());
        assertEquals(adapter, sha256(out.resolve("adapter/adapter_model.safetensors")), "the good adapter is kept");
        assertEquals(merged, sha256(out.resolve("model/model.safetensors")), "the good merged model is kept");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
