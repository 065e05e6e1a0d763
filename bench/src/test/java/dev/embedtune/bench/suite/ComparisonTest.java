package dev.embedtune.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {

    @TempDir
    Path dir;

    private static Map<String, Object> machine(int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", "AMD EPYC ×2");
        m.put("ompThreads", threads);
        return m;
    }

    private static BenchmarkResult result(String name, double msPerOp) {
        return new BenchmarkResult(name, Map.of(), "avgt", msPerOp, 0.5, "ms/op",
                1000.0 / msPerOp, Map.of("p50", msPerOp), 512.0, Double.NaN, Map.of());
    }

    @Test
    void twoRunsWithOtherSettingsMergeIntoOneTableAndChart() throws IOException {
        Path one = dir.resolve("one-thread.json");
        Path two = dir.resolve("two-threads.json");
        // 1 thread: encode 20 ms/op (50 items/s), forward 400 ms/op (2.5 items/s).
        new ResultFile("quick", machine(1), List.of(
                result("dev.embedtune.bench.TokenizerBenchmark.encode", 20),
                result("dev.embedtune.bench.ForwardBenchmark.forward", 400))).write(one);
        // 2 threads: encode 10 ms/op (100 items/s, ×2.00), forward 250 ms/op (4 items/s, ×1.60);
        // a benchmark only this run has shows a dash in the first column.
        new ResultFile("quick", machine(2), List.of(
                result("dev.embedtune.bench.TokenizerBenchmark.encode", 10),
                result("dev.embedtune.bench.ForwardBenchmark.forward", 250),
                result("dev.embedtune.bench.MiningBenchmark.mine", 1000))).write(two);

        Comparison c = Comparison.of(List.of(one, two));
        String first = c.columns().get(0), second = c.columns().get(1);
        assertEquals("AMD EPYC ×2, 1 threads (one-thread.json)", first);
        assertEquals(50.0, c.itemsPerSecond("TokenizerBenchmark.encode", first), 1e-9);
        assertEquals(2.0, c.ratio("TokenizerBenchmark.encode", second), 1e-9);
        assertEquals(1.6, c.ratio("ForwardBenchmark.forward", second), 1e-9);
        assertTrue(Double.isNaN(c.itemsPerSecond("MiningBenchmark.mine", first)));

        String md = c.markdown();
        assertTrue(md.contains("| TokenizerBenchmark.encode | 50.00 | 100 (×2.00) |"), md);
        assertTrue(md.contains("| ForwardBenchmark.forward | 2.50 | 4.00 (×1.60) |"), md);
        assertTrue(md.contains("| MiningBenchmark.mine | – | 1.00 (×NaN) |") || md.contains("| MiningBenchmark.mine | – |"), md);

        Path png = dir.resolve("chart.png");
        c.writeChart(png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1200, image.getWidth());
        assertEquals(200 + 40 * 3, image.getHeight());
    }

    @Test
    void resultFilesRoundTripAndNullsStandForUnknownFigures() throws IOException {
        Path file = dir.resolve("r.json");
        BenchmarkResult r = result("dev.embedtune.bench.X.y", 4);
        new ResultFile("full", machine(2), List.of(r)).write(file);
        assertTrue(Files.readString(file).contains("\"deviceUsedMb\" : null"));
        ResultFile back = ResultFile.read(file);
        assertEquals("full", back.mode());
        assertEquals(r, back.benchmarks().get(0));
    }

    @Test
    void peersRoundTripAndMeasuredOnesBecomeComparisonRows() throws IOException {
        Map<String, String> params = Map.of("mode", "inference", "batch", "32", "tokens", "128");
        PeerResult measured = new PeerResult("pytorch_inference", List.of("dev.embedtune.bench.EmbeddingBenchmark.embedderBatch32"),
                PeerResult.Status.MEASURED, "PyTorch", params, List.of(0.5, 0.25, 0.75), 0.5, "text", 64.0, 350.0,
                Map.of("torch", "1.13.0a0"));
        PeerResult skipped = PeerResult.notMeasured("pytorch_train_step", List.of("training_step_lora_fp32"),
                PeerResult.Status.SKIPPED, "no python3 with torch", Map.of("mode", "train-step"));
        Path file = dir.resolve("peers.json");
        new ResultFile("quick", machine(2), List.of(result("dev.embedtune.bench.EmbeddingBenchmark.embedderBatch32", 1000)),
                List.of(measured, skipped)).write(file);
        String json = Files.readString(file);
        assertTrue(json.contains("\"status\" : \"skipped\"") && json.contains("\"note\" : \"no python3 with torch\""), json);
        ResultFile back = ResultFile.read(file);
        assertEquals(List.of(measured, skipped), back.peers());

        Comparison c = Comparison.of(List.of(file));
        // 32 texts in a 0.5 s median: 64 texts/s; the skipped peer has no row.
        assertEquals(64.0, c.itemsPerSecond(measured.key(), c.columns().get(0)), 1e-9);
        assertTrue(c.rowKeys().stream().noneMatch(k -> k.contains("pytorch_train_step")), c.rowKeys().toString());
    }

    @Test
    void thePeersScriptLineIsParsedAndABrokenOneIsAFailureNamingWhy() {
        PythonPeer.Spec spec = PythonPeer.Spec.plainTorch("pytorch_inference", "inference", "minilm", 32, 128, 2, 1, 2,
                SuiteRunner.INFERENCE_BENCHMARKS);
        String line = "{\"format\": \"embedtune-peer/1\", \"python\": \"3.11.2\", \"torch\": \"1.13.0a0\","
                + " \"threads\": 2, \"blas\": [\"/usr/lib/libopenblas.so\"], \"weights\": \"random\","
                + " \"iteration_seconds\": [0.5, 0.25], \"median_seconds\": 0.375, \"item\": \"text\","
                + " \"items_per_second\": 85.33, \"peak_rss_mb\": 350.0}";
        PeerResult r = PythonPeer.parse(spec, line, "/usr/bin/python3");
        assertEquals(PeerResult.Status.MEASURED, r.status());
        assertEquals(List.of(0.5, 0.25), r.iterationSeconds());
        assertEquals(85.33, r.itemsPerSecond(), 1e-9);
        assertEquals("/usr/lib/libopenblas.so", r.runtime().get("blas"));
        PeerResult broken = PythonPeer.parse(spec, line.replace("[0.5, 0.25]", "[0.5]"), "/usr/bin/python3");
        assertEquals(PeerResult.Status.FAILED, broken.status());
        assertTrue(broken.note().contains("1 iterations (expected 2)"), broken.note());
        assertEquals(PeerResult.Status.FAILED, PythonPeer.parse(spec, "Traceback", "python3").status());
        assertTrue(r.note().startsWith("fallback peer: PyTorch 1.13.0a0"), r.note());
    }

    @Test
    void theRealPeersRuntimeAndFiguresAreKeptAndRoundTrip() throws IOException {
        PythonPeer.Spec spec = SuiteRunner.peerSpecs(SuiteRunner.Mode.FULL, 2).stream()
                .filter(s -> s.id().equals("st_train_step_eval")).findFirst().orElseThrow();
        // As st_peer.py prints it (abridged): versions and settings under runtime, further figures under figures.
        String line = "{\"format\": \"embedtune-peer/1\", \"note\": \"manual loop\", \"python\": \"3.11.7\","
                + " \"torch\": \"2.13.0+cpu\", \"threads\": 2, \"blas\": [\"libgomp.so.1\"], \"weights\": \"/m\","
                + " \"runtime\": {\"sentence-transformers\": \"6.0.1\", \"mkl\": \"2024.2\", \"env\": \"OMP_NUM_THREADS=2\"},"
                + " \"iteration_seconds\": [4.0, 3.0, 5.0, 4.5, 3.5], \"median_seconds\": 4.0, \"item\": \"step\","
                + " \"items_per_second\": 0.25, \"figures\": {\"real_tokens_per_second\": 2048.0}, \"peak_rss_mb\": 900.0}";
        PeerResult r = PythonPeer.parse(spec, line, "/venv/bin/python");
        assertEquals(PeerResult.Status.MEASURED, r.status(), r.note());
        assertEquals("6.0.1", r.runtime().get("sentence-transformers"));
        assertEquals("2.13.0+cpu", r.runtime().get("torch"));
        assertEquals("/venv/bin/python 3.11.7", r.runtime().get("python"));
        assertEquals(2048.0, r.figures().get("real_tokens_per_second"), 0);
        assertEquals("manual loop", r.note());
        Path file = dir.resolve("st.json");
        new ResultFile("full", machine(2), List.of(), List.of(r)).write(file);
        assertEquals(r, ResultFile.read(file).peers().get(0));
    }

    @Test
    void peersRunWhenNoPatternOrAPatternNamesThemOrTheirBenchmarks() {
        List<PythonPeer.Spec> specs = SuiteRunner.peerSpecs(SuiteRunner.Mode.FULL, 2);
        PythonPeer.Spec inference = specs.stream().filter(s -> s.id().equals("st_encode_batch32")).findFirst().orElseThrow();
        PythonPeer.Spec train = specs.stream().filter(s -> s.id().equals("st_train_step_eval")).findFirst().orElseThrow();
        assertEquals("128", inference.params().get("tokens"));
        assertEquals("32", train.params().get("batch"));
        // Every peer of the full run takes its shape from the benchmarks it stands beside, and names them.
        specs.forEach(s -> assertFalse(s.comparesTo().isEmpty(), s.id()));
        assertEquals(2, specs.stream().filter(s -> s.id().equals("st_encode_jargon")).count());
        assertTrue(SuiteRunner.selected(train, List.of()));
        assertTrue(SuiteRunner.selected(inference, List.of("EmbeddingBenchmark")));
        assertFalse(SuiteRunner.selected(train, List.of("EmbeddingBenchmark")));
        assertTrue(SuiteRunner.selected(train, List.of("training_step")));
        assertFalse(SuiteRunner.selected(inference, List.of("Tokenizer")));
    }

    @Test
    void aFileThatIsNotAResultFileIsNamedInTheError() throws IOException {
        Path file = dir.resolve("other.json");
        Files.writeString(file, "{\"format\":\"something-else\"}");
        IOException e = assertThrows(IOException.class, () -> Comparison.of(List.of(file)));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("format"), e.getMessage());
        Files.writeString(file, "{\"format\":\"embedtune-bench/1\",\"machine\":{},\"benchmarks\":[{\"mode\":\"avgt\"}]}");
        e = assertThrows(IOException.class, () -> ResultFile.read(file));
        assertTrue(e.getMessage().contains("benchmarks[0].name"), e.getMessage());
    }

    @Test
    void unitsConvertBothWays() {
        assertEquals(2000.0, Units.opsPerSecond(2, "ops/ms"), 1e-9);
        assertEquals(50.0, Units.opsPerSecond(20, "ms/op"), 1e-9);
        assertEquals(1e6, Units.opsPerSecond(1, "us/op"), 1e-3);
        assertEquals(20.0, Units.millisPerOp(50, "ops/s"), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Units.opsPerSecond(1, "furlongs"));
    }
}
