package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.trainer.TinyModelDir;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command passes its options to the exporter and reports refusals (numbers: the model module's export tests). */
class ExportOnnxCommandTest {

    @TempDir
    Path dir;

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void exportsWithTheGivenOptions() throws Exception {
        Path model = TinyModelDir.write(dir.resolve("model"), 1);
        Path out = dir.resolve("onnx");
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, run(o, e, "export-onnx", "--model", model.toString(), "--output", out.toString(), "--opset", "18",
                "--pooling-in-graph", "--quantize", "int8"), e.toString());
        assertTrue(o.toString().contains("opset 18") && o.toString().contains("sentence_embedding"), o.toString());
        assertTrue(Files.isRegularFile(out.resolve("model.onnx")) && Files.isRegularFile(out.resolve("tokenizer.json")));
        JsonNode marker = new ObjectMapper().readTree(out.resolve("onnx_export.json").toFile());
        assertEquals(18, marker.get("opset").asInt());
        assertEquals("int8", marker.get("quantization").asText());
        assertTrue(marker.get("pooling_in_graph").asBoolean());
    }

    @Test
    void badOptionsAndRefusalsAreReported() throws Exception {
        Path model = TinyModelDir.write(dir.resolve("model"), 1);
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(2, run(o, e, "export-onnx", "--model", model.toString(), "--output", dir.resolve("a").toString(),
                "--quantize", "int4"));
        assertTrue(e.toString().contains("int8"), e.toString());
        e = new StringWriter();
        assertEquals(2, run(o, e, "export-onnx", "--model", model.toString(), "--output", dir.resolve("a").toString(),
                "--opset", "9"));
        assertTrue(e.toString().contains("between 13 and 21"), e.toString());

        Path notes = dir.resolve("notes");
        Files.createDirectories(notes);
        Files.writeString(notes.resolve("keep.txt"), "mine");
        e = new StringWriter();
        assertFalse(run(o, e, "export-onnx", "--model", model.toString(), "--output", notes.toString()) == 0);
        assertTrue(e.toString().contains("--overwrite"), e.toString());
        assertTrue(Files.exists(notes.resolve("keep.txt")));
    }
}
