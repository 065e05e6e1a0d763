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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Runs a Python peer script shipped in the jar ({@code bench/python/*.py} under {@value #RESOURCE_DIR})
 * as a subprocess and turns its last stdout line (JSON, format {@code embedtune-peer/1}) into a
 * {@link PeerResult}. Two scripts: {@code st_peer.py}, the real peers (sentence-transformers + PEFT on
 * current PyTorch, ONNX Runtime), run by the interpreter of the peer venv ({@link PeerVenv}); and
 * {@code bert_peer.py}, the plain-torch BERT kept as the fallback peer for machines without that venv,
 * run by a system {@code python3} that imports torch (Debian's python3-torch 1.13).
 *
 * <p>When no interpreter can run a peer it is recorded as skipped with the reasons; when the script runs
 * and fails, as failed with the end of its stderr. The subprocess gets {@code OMP_NUM_THREADS},
 * {@code MKL_NUM_THREADS} and {@code OPENBLAS_NUM_THREADS} equal to the peer's thread count and the spec's
 * own environment on top.
 */
public final class PythonPeer {

    static final String RESOURCE_DIR = "dev/embedtune/bench/python/";
    static final String SCRIPT_RESOURCE = RESOURCE_DIR + "bert_peer.py";
    static final String ST_SCRIPT = "st_peer.py";
    static final String PLAIN_SCRIPT = "bert_peer.py";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long PROBE_SECONDS = 60;

    /**
     * One run of a peer script.
     *
     * @param id          the peer entry's id, e.g. "st_train_step_eval"
     * @param script      {@value #ST_SCRIPT} or {@value #PLAIN_SCRIPT}
     * @param arguments   the script's arguments; {@code {name}} placeholders are filled in at run time
     *                    (input files the suite writes, see {@link SuiteRunner})
     * @param params      what is compared (mode, model, shape, threads, warm-up, iterations), as strings;
     *                    part of the comparison row's key
     * @param threads     torch / ONNX Runtime threads
     * @param iterations  measured iterations the script must report
     * @param environment extra environment variables (the peer's configuration)
     * @param comparesTo  the JMH benchmarks it stands beside (see {@link PeerResult#comparesTo})
     */
    public record Spec(String id, String script, List<String> arguments, Map<String, String> params, int threads,
            int iterations, Map<String, String> environment, List<String> comparesTo) {

        public Spec {
            if (!script.equals(ST_SCRIPT) && !script.equals(PLAIN_SCRIPT)) {
                throw new IllegalArgumentException("peer " + id + ": script must be " + ST_SCRIPT + " or " + PLAIN_SCRIPT
                        + ", got " + script);
            }
            if (threads < 1 || iterations < 1) {
                throw new IllegalArgumentException("peer " + id + ": threads and iterations must be at least 1, got "
                        + threads + ", " + iterations);
            }
            arguments = List.copyOf(arguments);
            params = java.util.Collections.unmodifiableMap(new TreeMap<>(params));
            environment = Map.copyOf(environment);
            comparesTo = List.copyOf(comparesTo);
        }

        /** The plain-torch BERT of {@code bert_peer.py} (the fallback peer). */
        public static Spec plainTorch(String id, String mode, String model, int batch, int tokens, int threads, int warmup,
                int iterations, List<String> comparesTo) {
            if (!mode.equals("inference") && !mode.equals("train-step")) {
                throw new IllegalArgumentException("peer mode must be inference or train-step, got " + mode);
            }
            if (batch < 1 || tokens < 1 || warmup < 0) {
                throw new IllegalArgumentException("peer " + id + ": batch and tokens must be at least 1 and warmup at"
                        + " least 0, got " + batch + ", " + tokens + ", " + warmup);
            }
            Map<String, String> p = new LinkedHashMap<>();
            p.put("mode", mode);
            p.put("model", model);
            p.put("batch", String.valueOf(batch));
            p.put("tokens", String.valueOf(tokens));
            p.put("threads", String.valueOf(threads));
            p.put("warmup", String.valueOf(warmup));
            p.put("iterations", String.valueOf(iterations));
            List<String> args = List.of("--mode", mode, "--model", model, "--batch", String.valueOf(batch),
                    "--tokens", String.valueOf(tokens), "--threads", String.valueOf(threads),
                    "--warmup", String.valueOf(warmup), "--iterations", String.valueOf(iterations));
            return new Spec(id, PLAIN_SCRIPT, args, p, threads, iterations, Map.of(), comparesTo);
        }

        /** The same run with {@code extra} added to its environment. */
        Spec withEnvironment(Map<String, String> extra) {
            Map<String, String> env = new java.util.HashMap<>(environment);
            env.putAll(extra);
            Map<String, String> p = new LinkedHashMap<>(params);
            p.put("env", new TreeMap<>(env).entrySet().stream().map(e -> e.getKey() + "=" + java.nio.file.Path.of(e.getValue())
                    .getFileName()).reduce((a, b) -> a + " " + b).orElse(""));
            return new Spec(id, script, arguments, p, threads, iterations, env, comparesTo);
        }

        /** The script's mode argument (for the result's note). */
        String mode() {
            int i = arguments.indexOf("--mode");
            return i >= 0 && i + 1 < arguments.size() ? arguments.get(i + 1) : "?";
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
     * This is the fallback peer's interpreter (Debian's python3-torch).
     */
    static Interpreter findPython() {
        String prop = System.getProperty("embedtune.python");
        String env = System.getenv("EMBEDTUNE_PYTHON");
        List<String> candidates = prop != null && !prop.isBlank() ? List.of(prop)
                : env != null && !env.isBlank() ? List.of(env)
                : List.of("/usr/bin/python3", "python3");
        List<String> reasons = new ArrayList<>();
        for (String c : candidates) {
            String why = probe(c, "import torch");
            if (why == null) {
                return new Interpreter(c, null);
            }
            reasons.add(c + ": " + why);
        }
        return new Interpreter(null, "no python3 with torch (tried " + String.join("; ", reasons)
                + "); hint: apt-get install python3-torch libopenblas0-pthread, or set EMBEDTUNE_PYTHON");
    }

    /** Null when {@code python -c code} succeeds, else what went wrong. */
    static String probe(String python, String code) {
        try {
            Process p = new ProcessBuilder(python, "-c", code).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "'" + code + "' took over " + PROBE_SECONDS + " s";
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

    /** {@link #run(Spec, Interpreter, long, UnaryOperator)} without placeholders. */
    public static PeerResult run(Spec spec, Interpreter python, long timeoutSeconds) {
        return run(spec, python, timeoutSeconds, UnaryOperator.identity());
    }

    /**
     * Runs {@code spec}, or records why it could not; prints one line about it on stdout.
     *
     * @param placeholders fills the {@code {name}} placeholders of the spec's arguments
     */
    public static PeerResult run(Spec spec, Interpreter python, long timeoutSeconds, UnaryOperator<String> placeholders) {
        PeerResult r = python.command() == null
                ? PeerResult.notMeasured(spec.id(), spec.comparesTo(), PeerResult.Status.SKIPPED,
                        python.skipReason(), spec.params())
                : runScript(spec, python.command(), timeoutSeconds, placeholders);
        System.out.println("peer " + spec.id() + ": " + r.status().label()
                + (r.status() == PeerResult.Status.MEASURED
                        ? String.format(" %.4g %s/s (median %.4g s over %d iterations)", r.itemsPerSecond(),
                                r.item(), r.medianSeconds(), r.iterationSeconds().size())
                        : " — " + r.note()));
        return r;
    }

    /** Copies a script shipped in the jar into {@code dir}. */
    static Path copyResource(String name, Path dir) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = PythonPeer.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IOException("classpath resource " + RESOURCE_DIR + name + " missing: is bench built?");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private static PeerResult runScript(Spec spec, String python, long timeoutSeconds, UnaryOperator<String> placeholders) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("python-peer");
            Path script = copyResource(spec.script(), dir);
            List<String> command = new ArrayList<>(List.of(python, script.toString()));
            for (String a : spec.arguments()) {
                command.add(placeholders.apply(a));
            }
            Path stdout = dir.resolve("stdout"), stderr = dir.resolve("stderr");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            String n = String.valueOf(spec.threads());
            pb.environment().put("OMP_NUM_THREADS", n);
            pb.environment().put("MKL_NUM_THREADS", n);
            pb.environment().put("OPENBLAS_NUM_THREADS", n);
            pb.environment().put("HF_HUB_OFFLINE", "1");
            // The suite's own JVM settings are ND4J's; a peer starts from none but its own.
            pb.environment().remove("OMP_WAIT_POLICY");
            pb.environment().remove("OPENBLAS_CORETYPE");
            pb.environment().putAll(spec.environment());
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
        j.path("runtime").fields().forEachRemaining(e -> runtime.put(e.getKey(), e.getValue().asText()));
        runtime.put("python", python + " " + j.path("python").asText());
        Map<String, Double> figures = new LinkedHashMap<>();
        j.path("figures").fields().forEachRemaining(e -> figures.put(e.getKey(),
                e.getValue().isNumber() ? e.getValue().asDouble() : Double.NaN));
        String note = spec.script().equals(PLAIN_SCRIPT)
                ? "fallback peer: PyTorch " + j.path("torch").asText() + ", plain-torch BERT (" + spec.params().get("model")
                        + " shapes, random weights), " + ("inference".equals(spec.mode())
                                ? "forward under no_grad with a padding mask"
                                : "LoRA r=16 alpha=32 on every linear, MNRL loss, backward, AdamW step")
                : j.path("note").asText();
        return new PeerResult(spec.id(), spec.comparesTo(), PeerResult.Status.MEASURED, note, spec.params(), times,
                median, j.path("item").asText(), perSecond, j.path("peak_rss_mb").asDouble(Double.NaN), runtime, figures);
    }

    static PeerResult failed(Spec spec, String why) {
        return PeerResult.notMeasured(spec.id(), spec.comparesTo(), PeerResult.Status.FAILED, why, spec.params());
    }

    static PeerResult skipped(Spec spec, String why) {
        return PeerResult.notMeasured(spec.id(), spec.comparesTo(), PeerResult.Status.SKIPPED, why, spec.params());
    }

    private static String tail(String s, int chars) {
        s = s.strip();
        return s.length() <= chars ? s : "…" + s.substring(s.length() - chars);
    }

    static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
