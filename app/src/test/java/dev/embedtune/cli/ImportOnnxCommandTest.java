package dev.embedtune.cli;

import static dev.embedtune.cli.FinetuneCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.train.trainer.TinyModelDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import-onnx}'s output directory rule and its bad input (issue 15 items 2 and 8): a non-empty
 * directory that is not a model directory embedtune wrote is refused unless {@code --overwrite}, which
 * writes the model's files beside the others and deletes none; an earlier import is replaced; random
 * bytes are "not an ONNX model file", said in one line. The ONNX file is the tiny model's own export.
 */
class ImportOnnxCommandTest {

    @TempDir
    Path tmp;

    @Test
    void neverDeletesWhatItDidNotWriteAndRefusesAForeignDirectoryWithoutOverwrite() throws Exception {
        Path model = TinyModelDir.write(tmp.resolve("model"), 1);
        Path export = tmp.resolve("export");
        FinetuneCommandTest.Run r = run("export-onnx", "--model", model.toString(), "--output", export.toString());
        assertEquals(0, r.exit(), r.err());
        String[] importArgs = {"import-onnx", "--source", export.resolve("model.onnx").toString(), "--tokenizer",
                export.resolve("tokenizer.json").toString(), "--output"};

        Path mine = tmp.resolve("mine");
        Files.createDirectories(mine);
        Files.writeString(mine.resolve("notes.txt"), "my notes");
        r = run(concat(importArgs, mine.toString()));
        assertEquals(1, r.exit(), r.err());
        assertEquals("embedtune import-onnx: " + mine + ": not empty and not a model directory embedtune wrote (it holds notes.txt);"
                + " choose another output directory, or pass --overwrite to write the model's files beside what is there"
                + " (nothing else is deleted)", r.err().strip());
        assertEquals("my notes", Files.readString(mine.resolve("notes.txt")));
        assertFalse(Files.exists(mine.resolve("model.safetensors")));

        r = run(concat(importArgs, mine.toString(), "--overwrite"));
        assertEquals(0, r.exit(), r.err());
        assertEquals("my notes", Files.readString(mine.resolve("notes.txt")), "--overwrite deletes nothing it did not write");
        assertTrue(Files.isRegularFile(mine.resolve("model.safetensors")) && Files.isRegularFile(mine.resolve("config.json")));
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith(".mine")).count(), "no temporary directory left");
        }

        // an earlier import (a model directory embedtune wrote) is replaced without --overwrite
        Path again = tmp.resolve("again");
        assertEquals(0, run(concat(importArgs, again.toString())).exit());
        r = run(concat(importArgs, again.toString()));
        assertEquals(0, r.exit(), r.err());
    }

    @Test
    void randomBytesAreNotAnOnnxModelFile() throws Exception {
        Path junk = tmp.resolve("junk.onnx");
        byte[] bytes = new byte[4096];
        new Random(15).nextBytes(bytes);
        Files.write(junk, bytes);
        Path tokenizer = tmp.resolve("tokenizer.json");
        Files.writeString(tokenizer, "{}");
        FinetuneCommandTest.Run r = run("import-onnx", "--source", junk.toString(), "--tokenizer", tokenizer.toString(), "--output",
                tmp.resolve("out").toString());
        assertEquals(1, r.exit(), r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("embedtune import-onnx: ") && err.contains(junk.toString()) && err.contains("not an ONNX model file"), err);
        assertFalse(Files.exists(tmp.resolve("out").resolve("model.safetensors")));

        // --verbose adds the trace
        r = run("import-onnx", "--source", junk.toString(), "--tokenizer", tokenizer.toString(), "--output", tmp.resolve("out").toString(),
                "--verbose");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("\tat dev.embedtune."), r.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
