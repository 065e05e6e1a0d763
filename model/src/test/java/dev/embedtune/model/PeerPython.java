package dev.embedtune.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Python clients (sentence-transformers, PEFT, transformers) for tests that check what they
 * make of embedtune's files. The interpreter is {@code -Dembedtune.peer.python}, else
 * {@code $EMBEDTUNE_PEER_PYTHON}, else {@code peer-venv/bin/python} beside the shared data folder
 * (../peer-venv next to the checkout); a test that needs it is skipped with a message when it is
 * absent or cannot import the three libraries (a user's clone has no such environment).
 */
public final class PeerPython {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String skipReason;
    private static Path interpreter;

    private PeerPython() {
    }

    /** The interpreter, or a skipped test with the reason. */
    public static synchronized Path require() {
        if (interpreter == null && skipReason == null) {
            find();
        }
        assumeTrue(interpreter != null, skipReason);
        return interpreter;
    }

    private static void find() {
        String given = System.getProperty("embedtune.peer.python", System.getenv("EMBEDTUNE_PEER_PYTHON"));
        Path candidate = given != null && !given.isBlank() ? Path.of(given)
                : Path.of(System.getProperty("embedtune.shared", "../shared")).resolveSibling("peer-venv").resolve("bin/python");
        if (!Files.isExecutable(candidate)) {
            skipReason = "skipped: no Python with sentence-transformers and PEFT at " + candidate.toAbsolutePath()
                    + " (set -Dembedtune.peer.python to run the check against the real libraries)";
            return;
        }
        try {
            Result probe = run(candidate, List.of("-c", "import peft, sentence_transformers, transformers, torch"), 300);
            if (probe.exitCode() != 0) {
                skipReason = "skipped: " + candidate + " cannot import peft, sentence_transformers, transformers and torch: "
                        + probe.stderrTail();
                return;
            }
        } catch (IOException e) {
            skipReason = "skipped: " + candidate + " does not run: " + e.getMessage();
            return;
        }
        interpreter = candidate;
    }

    /** What a script printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
        String stderrTail() {
            return stderr.length() > 3000 ? "…" + stderr.substring(stderr.length() - 3000) : stderr;
        }
    }

    /**
     * Runs the test resource script {@code dev/embedtune/model/python/<script>} with {@code args} and
     * returns the JSON it wrote to the file given as its last argument.
     */
    public static JsonNode runScript(String script, Path workDir, List<String> args) throws IOException {
        Path python = require();
        Path file = workDir.resolve(script);
        try (InputStream in = PeerPython.class.getResourceAsStream("/dev/embedtune/model/python/" + script)) {
            Files.write(file, in.readAllBytes());
        }
        Path out = workDir.resolve(script + ".json");
        List<String> all = new ArrayList<>(List.of(file.toString()));
        all.addAll(args);
        all.add(out.toString());
        Result r = run(python, all, 1200);
        if (r.exitCode() != 0) {
            throw new AssertionError(script + " failed with exit code " + r.exitCode() + ":\n" + r.stderrTail());
        }
        return JSON.readTree(out.toFile());
    }

    private static Result run(Path python, List<String> args, long timeoutSeconds) throws IOException {
        List<String> command = new ArrayList<>(List.of(python.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        pb.environment().put("OMP_NUM_THREADS", "2");
        pb.environment().put("TOKENIZERS_PARALLELISM", "false");
        Path err = Files.createTempFile("peer-python", ".stderr");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        try {
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(python + " " + args + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), stdout, Files.readString(err));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
