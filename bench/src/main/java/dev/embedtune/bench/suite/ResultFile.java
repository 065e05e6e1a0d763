package dev.embedtune.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A benchmark result file: the machine, the mode and one entry per benchmark. Layout:
 * <pre>
 * { "format": "embedtune-bench/1", "mode": "quick" | "full",
 *   "machine": { MachineInfo fields },
 *   "benchmarks": [ { BenchmarkResult fields }, … ],
 *   "peers": [ { PeerResult fields; status "measured" | "skipped" | "failed" }, … ] }
 * </pre>
 * NaN figures (unknown) are written as null. Files written before peers existed have no "peers";
 * they read as an empty list.
 */
public record ResultFile(String mode, Map<String, Object> machine, List<BenchmarkResult> benchmarks,
        List<PeerResult> peers) {

    public ResultFile {
        benchmarks = List.copyOf(benchmarks);
        peers = List.copyOf(peers);
    }

    /** A file without peers. */
    public ResultFile(String mode, Map<String, Object> machine, List<BenchmarkResult> benchmarks) {
        this(mode, machine, benchmarks, List.of());
    }

    public static final String FORMAT = "embedtune-bench/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Writes the file to a temporary name beside it, then renames it into place. */
    public void write(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("mode", mode);
        root.put("machine", machine);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BenchmarkResult b : benchmarks) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", b.name());
            row.put("params", b.params());
            row.put("mode", b.mode());
            row.put("score", finite(b.score()));
            row.put("scoreError", finite(b.scoreError()));
            row.put("unit", b.unit());
            row.put("itemsPerSecond", finite(b.itemsPerSecond()));
            Map<String, Object> latency = new LinkedHashMap<>();
            b.latencyMs().forEach((k, v) -> latency.put(k, finite(v)));
            row.put("latencyMs", latency);
            row.put("peakRssMb", finite(b.peakRssMb()));
            row.put("deviceUsedMb", finite(b.deviceUsedMb()));
            Map<String, Object> secondary = new LinkedHashMap<>();
            b.secondary().forEach((k, v) -> secondary.put(k, finite(v)));
            row.put("secondary", secondary);
            rows.add(row);
        }
        root.put("benchmarks", rows);
        List<Map<String, Object>> peerRows = new ArrayList<>();
        for (PeerResult p : peers) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", p.id());
            row.put("comparesTo", p.comparesTo());
            row.put("status", p.status().label());
            row.put("note", p.note());
            row.put("params", new java.util.TreeMap<>(p.params()));
            row.put("iterationSeconds", p.iterationSeconds());
            row.put("medianSeconds", finite(p.medianSeconds()));
            row.put("item", p.item());
            row.put("itemsPerSecond", finite(p.itemsPerSecond()));
            row.put("peakRssMb", finite(p.peakRssMb()));
            row.put("runtime", new java.util.TreeMap<>(p.runtime()));
            Map<String, Object> figures = new java.util.TreeMap<>();
            p.figures().forEach((k, v) -> figures.put(k, finite(v)));
            row.put("figures", figures);
            peerRows.add(row);
        }
        root.put("peers", peerRows);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads a result file, with an error naming the file and the field when it is not one. */
    public static ResultFile read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not a JSON benchmark result file: " + e.getMessage(), e);
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new IOException(file + ": field \"format\" should be \"" + FORMAT + "\", found "
                    + (root == null ? "an empty file" : root.path("format")));
        }
        JsonNode machineNode = required(file, root, "machine");
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = JSON.convertValue(machineNode, LinkedHashMap.class);
        List<BenchmarkResult> benchmarks = new ArrayList<>();
        int i = 0;
        for (JsonNode b : required(file, root, "benchmarks")) {
            String where = "benchmarks[" + i++ + "]";
            Map<String, String> params = new LinkedHashMap<>();
            b.path("params").fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
            benchmarks.add(new BenchmarkResult(
                    text(file, b, "name", where), params, text(file, b, "mode", where),
                    number(b, "score"), number(b, "scoreError"), text(file, b, "unit", where),
                    number(b, "itemsPerSecond"), numbers(b.path("latencyMs")),
                    number(b, "peakRssMb"), number(b, "deviceUsedMb"), numbers(b.path("secondary"))));
        }
        List<PeerResult> peers = new ArrayList<>();
        i = 0;
        for (JsonNode p : root.path("peers")) {
            String where = "peers[" + i++ + "]";
            List<String> comparesTo = new ArrayList<>();
            p.path("comparesTo").forEach(c -> comparesTo.add(c.asText()));
            List<Double> seconds = new ArrayList<>();
            p.path("iterationSeconds").forEach(t -> seconds.add(t.asDouble()));
            PeerResult.Status status;
            try {
                status = PeerResult.Status.of(text(file, p, "status", where));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + where + ".status: " + e.getMessage(), e);
            }
            peers.add(new PeerResult(text(file, p, "id", where), comparesTo, status, p.path("note").asText(""),
                    strings(p.path("params")), seconds, number(p, "medianSeconds"), p.path("item").asText(""),
                    number(p, "itemsPerSecond"), number(p, "peakRssMb"), strings(p.path("runtime")),
                    numbers(p.path("figures"))));
        }
        return new ResultFile(root.path("mode").asText("unknown"), machine, benchmarks, peers);
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static JsonNode required(Path file, JsonNode node, String field) throws IOException {
        JsonNode child = node.get(field);
        if (child == null || child.isNull()) {
            throw new IOException(file + ": missing field \"" + field + "\"");
        }
        return child;
    }

    private static String text(Path file, JsonNode node, String field, String where) throws IOException {
        JsonNode child = node.get(field);
        if (child == null || !child.isTextual()) {
            throw new IOException(file + ": " + where + "." + field + " should be a string, found " + child);
        }
        return child.asText();
    }

    private static double number(JsonNode node, String field) {
        JsonNode child = node.get(field);
        return child != null && child.isNumber() ? child.asDouble() : Double.NaN;
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static Map<String, Double> numbers(JsonNode node) {
        Map<String, Double> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(),
                e.getValue().isNumber() ? e.getValue().asDouble() : Double.NaN));
        return out;
    }
}
