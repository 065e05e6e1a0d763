package dev.embedtune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.tokenizer.Encoding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** {@code embedtune tokenize} on a temporary model directory holding the MiniLM tokenizer.json. */
class TokenizeCommandTest {
    @TempDir
    Path tmp;

    private Path modelDir(String stConfig, String config) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.write(dir.resolve("tokenizer.json"), in.readAllBytes());
        }
        if (stConfig != null) Files.writeString(dir.resolve("sentence_bert_config.json"), stConfig);
        if (config != null) Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    private static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) r[i] = array.get(i).intValue();
        return r;
    }

    @Test
    void writesOneLinePerInputTruncatedToModelMaxNotPadded() throws Exception {
        Path dir = modelDir("{\"max_seq_length\": 8, \"do_lower_case\": false}", "{\"max_position_embeddings\": 512}");
        Path input = tmp.resolve("in.jsonl");
        List<String> texts = List.of("hello world", "a much longer sentence that certainly goes past eight tokens", "", "x");
        ObjectMapper m = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (String t : texts) sb.append(m.writeValueAsString(java.util.Map.of("text", t, "id", 1))).append('\n');
        Files.writeString(input, sb);
        Path output = tmp.resolve("out/tokens.jsonl");
        int code = Main.commandLine().execute("tokenize", "--model", dir.toString(), "--input", input.toString(),
                "--output", output.toString());
        assertEquals(0, code);
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        assertEquals(texts.size(), lines.size());
        Tokenizer reference = Tokenizer.fromFile(dir.resolve("tokenizer.json")).withTruncation(Truncation.of(8));
        for (int i = 0; i < texts.size(); i++) {
            JsonNode n = m.readTree(lines.get(i));
            Encoding e = reference.encode(texts.get(i));
            assertArrayEquals(e.ids(), ints(n.get("input_ids")), "line " + i);
            assertArrayEquals(e.attentionMask(), ints(n.get("attention_mask")), "line " + i);
            assertArrayEquals(e.typeIds(), ints(n.get("token_type_ids")), "line " + i);
        }
        // Literal: [CLS] hello world [SEP] in the BERT uncased vocabulary, unpadded.
        assertArrayEquals(new int[] {101, 7592, 2088, 102}, ints(m.readTree(lines.get(0)).get("input_ids")));
        assertEquals(8, m.readTree(lines.get(1)).get("input_ids").size());
        assertArrayEquals(new int[] {101, 102}, ints(m.readTree(lines.get(2)).get("input_ids")));
        try (var files = Files.list(output.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void maxLengthOptionAndConfigFallback() throws Exception {
        Path dir = modelDir(null, "{\"max_position_embeddings\": 6}");
        Path input = tmp.resolve("in.jsonl");
        Files.writeString(input, "{\"passage\": \"one two three four five six seven eight nine\"}\n");
        Path output = tmp.resolve("out.jsonl");
        assertEquals(0, Main.commandLine().execute("tokenize", "--model", dir.toString(), "--input",
                input.toString(), "--field", "passage", "--output", output.toString()));
        assertEquals(6, new ObjectMapper().readTree(Files.readAllLines(output).get(0)).get("input_ids").size());
        assertEquals(0, Main.commandLine().execute("tokenize", "--model", dir.toString(), "--input",
                input.toString(), "--field", "passage", "--output", output.toString(), "--max-length", "4"));
        assertEquals(4, new ObjectMapper().readTree(Files.readAllLines(output).get(0)).get("input_ids").size());
    }

    @Test
    void missingFieldFailsNamingTheLineAndLeavesNoOutput() throws Exception {
        Path dir = modelDir("{\"max_seq_length\": 16}", null);
        Path input = tmp.resolve("in.jsonl");
        Files.writeString(input, "{\"text\": \"fine\"}\n{\"other\": 1}\n");
        Path output = tmp.resolve("out.jsonl");
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new java.io.PrintWriter(err));
        int code = cli.execute("tokenize", "--model", dir.toString(), "--input", input.toString(), "--output", output.toString());
        assertNotEquals(0, code);
        assertFalse(Files.exists(output));
        assertEquals(true, err.toString().contains("in.jsonl:2: expected a string field \"text\""), err.toString());
    }
}
