package dev.embedtune.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PyTorch peer ({@code bench/python/bert_peer.py}, shipped in the jar as
 * {@value #SCRIPT_RESOURCE}) as a subprocess and turns its JSON line into a {@link PeerResult}.
 *
 * <p>The interpreter is {@code -Dembedtune.python} or {@code $EMBEDTUNE_PYTHON} when set, else the
 * first of {@code python3} on the PATH and {@code /usr/bin/python3} that can {@code import torch} (a
 * pyenv {@code python3} often shadows Debian's, which is where {@code python3-torch} installs). When none
 * can, the peer is recorded as skipped with the reasons; when the script runs and fails, as failed
 * with the end of its stderr. The subprocess gets {@code OMP_NUM_THREADS}, {@code MKL_NUM_THREADS}
 * and {@code OPENBLAS_NUM_THREADS} equal to the peer's thread count, and {@code --threads} for
 * {@code torch.set_num_threads}.
 */
public final class PythonPeer {

    static final String SCRIPT_RESOURCE = "dev/embedtune/bench/python/bert_peer.py";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long PROBE_SECONDS = 60;

    /**
     * One run of the script.
     *
     * @param id         the peer entry's id, e.g. "pytorch_inference"
     * @param mode       the script's --mode: "inference" or "train-step"
     * @param model      the script's --model: "minilm" or "bge-base"
     * @param batch      texts (inference) or anchor/positive pairs (train-step)
     * @param tokens     tokens per text
     * @param threads    torch threads
     * @param warmup     warm-up iterations
     * @param iterations measured iterations
     * @param comparesTo the JMH benchmarks it stands beside (see {@link PeerResult#comparesTo})
     */
    public record Spec(String id, String mode, String model, int batch, int tokens, int threads, int warmup,
            int iterations, List<String> comparesTo) {

        public Spec {
            if (!mode.equals("inference") && !mode.equals("train-step")) {
                throw new IllegalArgumentException("peer mode must be inference or train-step, got " + mode);
            }
            if (batch < 1 || tokens < 1 || threads < 1 || warmup < 0 || iterations < 1) {
                throw new IllegalArgumentException("peer " + id + ": batch, tokens, threads and iterations must be"
                        + " at least 1 and warmup at least 0, got " + batch + ", " + tokens + ", " + threads
                        + ", " + iterations + ", " + warmup);
            }
            comparesTo = List.copyOf(comparesTo);
        }

        Map<String, String> params() {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("mode", mode);
            p.put("model", model);
            p.put("batch", String.valueOf(batch));
            p.put("tokens", String.valueOf(tokens));
            p.put("threads", String.valueOf(threads));
            p.put("warmup", String.valueOf(warmup));
            p.put("iterations", String.valueOf(iterations));
            return p;
        }
    }

    /** The interpreter found, or why none was. */
    record Interpreter(String command, String skipReason) {
    }

    private PythonPeer() {
    }

    /**
     * The first candidate interpreter that imports torch, or none with every candidate's failure. An
     * interpreter named by {@code -Dembedtune.python} or {@code $EMBEDTUNE_PYTHON} is the only one tried.
     */
    static Interpreter findPython() {
        String prop = System.getProperty("embedtune.python");
        String env = System.getenv("EMBEDTUNE_PYTHON");
        List<String> candidates = prop != null && !prop.isBlank() ? List.of(prop)
                : env != null && !env.isBlank() ? List.of(env)
                : List.of("python3", "/usr/bin/python3");
        List<String> reasons = new ArrayList<>();
        for (String c : candidates) {
            String why = probe(c);
            if (why == null) {
                return new Interpreter(c, null);
            }
            reasons.add(c + ": " + why);
        }
        return new Interpreter(null, "no python3 with torch (tried " + String.join("; ", reasons)
                + "); hint: apt-get install python3-torch libopenblas0-pthread, or set EMBEDTUNE_PYTHON");
    }

    /** Null when {@code python -c "import torch"} succeeds, else what went wrong. */
    private static String probe(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "import torch took over " + PROBE_SECONDS + " s";
            }
            if (p.exitValue() == 0) {
                return null;
            }
            String[] lines = out.split("\n");
            return lines[lines.length - 1];
        } catch (IOException e) {
            return "not found (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Runs {@code spec}, or records why it could not; prints one line about it on stdout. */
    public static PeerResult run(Spec spec, Interpreter python, long timeoutSeconds) {
        PeerResult r = python.command() == null
                ? PeerResult.notMeasured(spec.id(), spec.comparesTo(), PeerResult.Status.SKIPPED,
                        python.skipReason(), spec.params())
                : runScript(spec, python.command(), timeoutSeconds);
        System.out.println("peer " + spec.id() + ": " + r.status().label()
                + (r.status() == PeerResult.Status.MEASURED
                        ? String.format(" %.4g %s/s (median %.4g s over %d iterations)", r.itemsPerSecond(),
                                r.item(), r.medianSeconds(), r.iterationSeconds().size())
                        : " — " + r.note()));
        return r;
    }

    private static PeerResult runScript(Spec spec, String python, long timeoutSeconds) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("bert-peer");
            Path script = dir.resolve("bert_peer.py");
            try (InputStream in = PythonPeer.class.getClassLoader().getResourceAsStream(SCRIPT_RESOURCE)) {
                if (in == null) {
                    throw new IOException("classpath resource " + SCRIPT_RESOURCE + " missing: is bench built?");
                }
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            List<String> command = List.of(python, script.toString(), "--mode", spec.mode(), "--model", spec.model(),
                    "--batch", String.valueOf(spec.batch()), "--tokens", String.valueOf(spec.tokens()),
                    "--threads", String.valueOf(spec.threads()), "--warmup", String.valueOf(spec.warmup()),
                    "--iterations", String.valueOf(spec.iterations()));
            Path stdout = dir.resolve("stdout"), stderr = dir.resolve("stderr");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            String n = String.valueOf(spec.threads());
            pb.environment().put("OMP_NUM_THREADS", n);
            pb.environment().put("MKL_NUM_THREADS", n);
            pb.environment().put("OPENBLAS_NUM_THREADS", n);
            pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return failed(spec, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
            }
            String out = Files.readString(stdout, StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                return failed(spec, "exit code " + p.exitValue() + " from " + String.join(" ", command) + ": "
                        + tail(Files.readString(stderr, StandardCharsets.UTF_8), 600));
            }
            String[] lines = out.split("\n");
            return parse(spec, lines[lines.length - 1], python);
        } catch (IOException e) {
            return failed(spec, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(spec, "interrupted");
        } finally {
            deleteQuietly(dir);
        }
    }

    /** The script's JSON line as a measured peer; a line lacking a field is a failure naming it. */
    static PeerResult parse(Spec spec, String line, String python) {
        JsonNode j;
        try {
            j = JSON.readTree(line);
        } catch (IOException e) {
            return failed(spec, "the script's last stdout line is not JSON: " + tail(line, 300));
        }
        if (j == null || !"embedtune-peer/1".equals(j.path("format").asText())) {
            return failed(spec, "the script's JSON has format " + (j == null ? "none" : j.path("format"))
                    + ", expected embedtune-peer/1");
        }
        List<Double> times = new ArrayList<>();
        j.path("iteration_seconds").forEach(t -> times.add(t.asDouble()));
        double median = j.path("median_seconds").asDouble(Double.NaN);
        double perSecond = j.path("items_per_second").asDouble(Double.NaN);
        if (times.size() != spec.iterations() || !(median > 0) || !(perSecond > 0)) {
            return failed(spec, "the script reported " + times.size() + " iterations (expected "
                    + spec.iterations() + "), median " + median + " s, " + perSecond + " items/s: " + tail(line, 300));
        }
        Map<String, String> runtime = new LinkedHashMap<>();
        runtime.put("python", python + " " + j.path("python").asText());
        runtime.put("torch", j.path("torch").asText());
        runtime.put("threads", j.path("threads").asText());
        List<String> blas = new ArrayList<>();
        j.path("blas").forEach(b -> blas.add(b.asText()));
        runtime.put("blas", String.join(", ", blas));
        runtime.put("weights", j.path("weights").asText());
        String note = "PyTorch " + j.path("torch").asText() + ", plain-torch BERT (" + spec.model() + " shapes, random "
                + "weights), " + ("inference".equals(spec.mode()) ? "forward under no_grad with a padding mask"
                : "LoRA r=16 alpha=32 on every linear, MNRL loss, backward, AdamW step");
        return new PeerResult(spec.id(), spec.comparesTo(), PeerResult.Status.MEASURED, note, spec.params(), times,
                median, j.path("item").asText(), perSecond, j.path("peak_rss_mb").asDouble(Double.NaN), runtime);
    }

    private static PeerResult failed(Spec spec, String why) {
        return PeerResult.notMeasured(spec.id(), spec.comparesTo(), PeerResult.Status.FAILED, why, spec.params());
    }

    private static String tail(String s, int chars) {
        s = s.strip();
        return s.length() <= chars ? s : "…" + s.substring(s.length() - chars);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
