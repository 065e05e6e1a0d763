package dev.embedtune.cli;

import static dev.embedtune.cli.FinetuneCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.trainer.TinyModelDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 6 with a real process: {@code embedtune finetune} in a child JVM (C1 only, so its
 * arithmetic also differs in JIT tier from this JVM's), killed with {@code destroyForcibly} (SIGKILL)
 * once it has logged a random number of steps, then continued here with {@code --resume}: the final
 * adapter's SHA-256 equals that of an uninterrupted run in this JVM. One trial, to keep CI short; the
 * trainer-level kills at every point of a checkpoint write are {@code KillResumeTest} (train), the
 * real model {@code tools/kill-resume} (docs/RELIABILITY.md).
 */
class KillResumeProcessTest {

    @TempDir
    Path tmp;

    @Test
    void aProcessKilledWhileTrainingAndResumedWritesTheUninterruptedAdapter() throws Exception {
        Path model = TinyModelDir.write(tmp.resolve("tiny"), 5);
        Path data = tmp.resolve("pairs.jsonl");
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (String[] p : TinyModelDir.pairs(40)) {
            lines.append(json.writeValueAsString(json.createObjectNode().put("query", p[0]).put("passage", p[1]))).append('\n');
        }
        Files.writeString(data, lines);
        List<String> args = List.of("finetune", "--model", model.toString(), "--train", data.toString(), "--split", "all",
                "--max-steps", "10", "--batch-size", "8", "--lr", "1e-2", "--save-steps", "2", "--logging-steps", "1",
                "--lora-r", "4", "--lora-dropout", "0.1", "--max-length", "32", "--no-progress");

        Path whole = tmp.resolve("whole");
        FinetuneCommandTest.Run r = run(with(args, "--out", whole.toString()));
        assertEquals(0, r.exit(), r.err());
        String expected = CollapsedRunCommandTest.sha256(whole.resolve("adapter/adapter_model.safetensors"));

        Path out = tmp.resolve("killed");
        long seed = System.nanoTime();
        int killAfter = 1 + new Random(seed).nextInt(8);   // logged steps: a random point of the training (seed in the message)
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(with(args, "--out", out.toString())));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path metrics = out.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (child.isAlive() && loggedSteps(metrics) < killAfter && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        boolean killed = child.isAlive();
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
        String where = "seed " + seed + ": " + (killed ? "killed after " + loggedSteps(metrics) + " logged steps" : "finished before the kill");
        System.out.println("KillResumeProcessTest: " + where);

        boolean anyCheckpoint;
        try (var s = Files.list(out)) {
            anyCheckpoint = s.anyMatch(p -> p.getFileName().toString().matches("checkpoint-\\d+")
                    && Files.isRegularFile(p.resolve("trainer_state.json")));
        }
        r = run(with(args, "--out", out.toString(), anyCheckpoint ? "--resume" : "--overwrite"));
        assertEquals(0, r.exit(), where + ": " + r.err());
        assertEquals(expected, CollapsedRunCommandTest.sha256(out.resolve("adapter/adapter_model.safetensors")),
                where + (anyCheckpoint ? ", resumed" : ", started afresh") + ": the final adapter differs");
    }

    private static int loggedSteps(Path metrics) {
        try {
            return Files.isRegularFile(metrics) ? (int) Files.readAllLines(metrics).stream().filter(l -> l.contains("\"loss\"")).count() : 0;
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return 0;   // being written
        }
    }

    private static String[] with(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
