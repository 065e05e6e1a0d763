package dev.embedtune.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The quick mode of the whole suite, as CI runs it: every benchmark present with finite positive
 * figures, the file valid JSON that reads back, and every peer either measured (finite positive
 * figures) or skipped with a note — never failed.
 */
class QuickSuiteSmokeTest {

    @TempDir
    Path dir;

    @Test
    void quickModeMeasuresEveryBenchmarkWithFinitePositiveFigures() throws Exception {
        Set<String> declared = new TreeSet<>();
        for (BenchmarkListEntry e : BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                List.of(SuiteRunner.ALL), List.of())) {
            declared.add(e.getUsername());
        }
        assertTrue(declared.contains("dev.embedtune.bench.InformationRetrievalEvaluatorBenchmark.evaluate"), declared.toString());
        assertTrue(declared.contains("dev.embedtune.bench.HardNegativeMiningBenchmark.bm25Jargon"), declared.toString());
        assertTrue(declared.contains("dev.embedtune.bench.HardNegativeMiningBenchmark.denseSynthetic"), declared.toString());

        long start = System.nanoTime();
        ResultFile result = SuiteRunner.run(SuiteRunner.Mode.QUICK, List.of(), 0);
        System.out.printf("quick suite: %.1f s%n", (System.nanoTime() - start) / 1e9);
        Path file = dir.resolve("quick.json");
        result.write(file);
        new ObjectMapper().readTree(file.toFile());   // valid JSON
        ResultFile back = ResultFile.read(file);

        Set<String> measured = new TreeSet<>();
        for (BenchmarkResult b : back.benchmarks()) {
            measured.add(b.name());
            assertTrue(Double.isFinite(b.score()) && b.score() > 0, b.name() + " score " + b.score());
            assertTrue(Double.isFinite(b.itemsPerSecond()) && b.itemsPerSecond() > 0, b.name());
            b.latencyMs().forEach((k, v) -> assertTrue(Double.isFinite(v) && v > 0, b.name() + " " + k));
            assertTrue(b.peakRssMb() > 0, b.name() + " peak RSS " + b.peakRssMb());
        }
        assertEquals(declared, measured);
        assertEquals("CPU", back.machine().get("backend"));
        // Quick shapes are stated with each benchmark.
        assertTrue(back.benchmarks().stream().anyMatch(b -> b.name().endsWith("embedderBatch32")
                && b.params().get("tokens").equals(SuiteRunner.QUICK_PARAMS.get("tokens"))));

        Set<String> peerIds = new TreeSet<>();
        for (PeerResult p : back.peers()) {
            peerIds.add(p.id());
            assertFalse(p.comparesTo().isEmpty(), p.id());
            switch (p.status()) {
                case MEASURED -> {
                    assertEquals(Integer.parseInt(p.params().get("iterations")), p.iterationSeconds().size(), p.id());
                    p.iterationSeconds().forEach(t -> assertTrue(Double.isFinite(t) && t > 0, p.id() + " " + t));
                    assertTrue(Double.isFinite(p.medianSeconds()) && p.medianSeconds() > 0, p.id());
                    assertTrue(Double.isFinite(p.itemsPerSecond()) && p.itemsPerSecond() > 0, p.id());
                    assertTrue(Double.isFinite(p.peakRssMb()) && p.peakRssMb() > 0, p.id());
                }
                case SKIPPED -> assertFalse(p.note().isBlank(), p.id() + " skipped without a note");
                case FAILED -> throw new AssertionError("peer " + p.id() + " failed: " + p.note());
            }
        }
        // The real peers are measured when the peer venv is ready, else skipped with a note and the fallback runs.
        Set<String> real = Set.of("st_train_step_eval", "st_encode_batch32", "ort_python_batch32");
        assertTrue(peerIds.containsAll(real), peerIds.toString());
        boolean realSkipped = back.peers().stream().anyMatch(p -> real.contains(p.id()) && p.status() == PeerResult.Status.SKIPPED);
        assertEquals(realSkipped, peerIds.contains("fallback_plain_torch_inference"), peerIds.toString());
        PeerResult inference = back.peers().stream().filter(p -> p.id().equals("st_encode_batch32")).findFirst().orElseThrow();
        assertEquals(SuiteRunner.QUICK_PARAMS.get("tokens"), inference.params().get("tokens"));
    }
}
