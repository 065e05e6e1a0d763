package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The subcommands run end to end on the built-in model (imported once into the user's cache). */
class CliEndToEndTest {

    @TempDir
    Path dir;

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void embedWritesOneNormalisedVectorPerLineInOrder() throws Exception {
        Path in = dir.resolve("in.jsonl");
        List<String> texts = List.of("hacker", "A clever programming trick.", "", "kludge", "bogus");
        StringBuilder jsonl = new StringBuilder();
        for (String t : texts) {
            jsonl.append(new ObjectMapper().writeValueAsString(java.util.Map.of("text", t))).append('\n');
        }
        Files.writeString(in, jsonl);
        Path out = dir.resolve("out.jsonl");
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, run(o, e, "embed", "--model", "builtin:all-minilm-l6-v2", "--input", in.toString(),
                "--output", out.toString(), "--batch-size", "2"), e.toString());
        List<String> lines = Files.readAllLines(out);
        assertEquals(texts.size(), lines.size());
        float[][] expected = Embedder.load(ModelCache.resolve("builtin:all-minilm-l6-v2")).encode(texts);
        for (int i = 0; i < lines.size(); i++) {
            JsonNode v = new ObjectMapper().readTree(lines.get(i)).get("embedding");
            assertEquals(384, v.size());
            double norm = 0;
            for (int j = 0; j < v.size(); j++) {
                // same model, other batches: equal to 1e-6 (float32 rounding of other padding)
                assertEquals(expected[i][j], v.get(j).floatValue(), 1e-6, "line " + i + " dim " + j);
                norm += v.get(j).doubleValue() * v.get(j).doubleValue();
            }
            assertEquals(1.0, norm, 1e-5, "normalised");
        }
    }

    @Test
    void precisionsFollowQuantizeEmbeddings() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"text\":\"hacker\"}\n{\"text\":\"kludge\"}\n{\"text\":\"bogus\"}\n");
        Path out = dir.resolve("bits.jsonl");
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, run(o, e, "embed", "--model", "builtin:all-minilm-l6-v2", "--input", in.toString(),
                "--output", out.toString(), "--precision", "ubinary"), e.toString());
        float[][] floats = Embedder.load(ModelCache.resolve("builtin:all-minilm-l6-v2"))
                .encode(List.of("hacker", "kludge", "bogus"));
        List<String> lines = Files.readAllLines(out);
        for (int i = 0; i < 3; i++) {
            JsonNode bits = new ObjectMapper().readTree(lines.get(i)).get("embedding");
            assertEquals(48, bits.size(), "384 dimensions packed 8 to a byte");
            for (int j = 0; j < 384; j++) {
                boolean bit = (bits.get(j / 8).asInt() & (0x80 >>> (j % 8))) != 0;
                assertEquals(floats[i][j] > 0, bit, "text " + i + " dimension " + j);
            }
        }
        assertEquals(2, run(o, e, "embed", "--model", "builtin:all-minilm-l6-v2", "--input", in.toString(),
                "--output", out.toString(), "--precision", "int4"));
        assertTrue(e.toString().contains("precision must be one of"), e.toString());
    }

    @Test
    void badInputNamesTheFileAndLine() throws Exception {
        Path in = dir.resolve("bad.jsonl");
        Files.writeString(in, "{\"text\":\"ok\"}\n{\"other\":1}\n");
        StringWriter o = new StringWriter(), e = new StringWriter();
        int exit = run(o, e, "embed", "--model", "builtin:all-minilm-l6-v2", "--input", in.toString(),
                "--output", dir.resolve("o.jsonl").toString());
        assertTrue(exit != 0);
        assertTrue(e.toString().contains(in + ":2") && e.toString().contains("\"text\""), e.toString());
        assertTrue(!Files.exists(dir.resolve("o.jsonl")), "nothing half-written");
    }

    @Test
    void importOnnxWritesADirectory() throws Exception {
        StringWriter o = new StringWriter(), e = new StringWriter();
        Path out = dir.resolve("minilm");
        assertEquals(0, run(o, e, "import-onnx", "--source", "builtin:all-minilm-l6-v2", "--output", out.toString()), e.toString());
        assertTrue(o.toString().contains("101 tensors") && o.toString().contains("22,565,376 parameters"), o.toString());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")) && Files.isRegularFile(out.resolve("modules.json")));
    }

    /**
     * {@code embedtune main} on the real default model (NF4 QLoRA, MNRL in Matryoshka, one BM25
     * negative), cut to one step on six toy records so that it stays a smoke test of the defaults.
     */
    @Test
    void theMainJobFineTunesTheDefaultModelAndWritesAReport() throws Exception {
        // 6 groups without a split field, so the sha256 rule decides: "a" and "f" are test (int(sha256(g)[:8], 16) % 5 == 0).
        // Every query and passage has the word "a", so BM25 finds a candidate negative for each query.
        Path data = dir.resolve("tiny.jsonl");
        StringBuilder jsonl = new StringBuilder();
        String[][] rows = {{"a", "an apple", "A red or green fruit that grows on trees."},
                {"b", "a boat", "A small vessel for travelling over water."},
                {"c", "a compiler", "A program that translates source code into machine code."},
                {"d", "a dog", "A domesticated carnivorous mammal that barks."},
                {"e", "a engine", "A machine that converts energy into motion."},
                {"f", "a forest", "A large area covered chiefly with trees and undergrowth."}};
        for (String[] r : rows) {
            jsonl.append(String.format("{\"id\":\"%s\",\"query\":\"%s\",\"passage\":\"%s\",\"group\":\"%s\"}%n",
                    r[0], r[1], r[2], r[0]));
        }
        Files.writeString(data, jsonl);
        Path out = dir.resolve("run");
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, run(o, e, "main", "--data", data.toString(), "--output", out.toString(), "--dims", "384,64",
                "--max-steps", "1"), e.toString());
        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        for (String side : List.of("base", "fine_tuned")) {
            for (String dim : List.of("384", "64")) {
                double ndcg = report.get(side).get("dim_" + dim + "_cosine_ndcg@10").asDouble();
                assertTrue(ndcg > 0 && ndcg <= 1, side + " NDCG@10 at " + dim + ": " + ndcg);
            }
        }
        assertEquals(1, report.get("training").get("steps").asInt(), report.toString());
        assertEquals(4, report.get("training").get("negatives_mined").asInt(), report.toString());   // b, c, d, e
        assertEquals("builtin:all-minilm-l6-v2", report.get("model").asText());
        JsonNode settings = report.get("settings");
        assertEquals("nf4", settings.get("quantization").asText());
        assertEquals(16, settings.get("lora_r").asInt());
        assertEquals(128, settings.get("max_length").asInt());
        assertEquals("no_duplicates", settings.get("batch_sampler").asText(), "the training arguments sit at the top level");
        assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")) && Files.isRegularFile(out.resolve("report.md")));
        assertTrue(o.toString().contains("NDCG@10") && o.toString().contains(out.resolve("report.md").toString()), o.toString());
    }
}
