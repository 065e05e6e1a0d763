package dev.embedtune.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** The quick mode of the whole suite, as CI runs it: every benchmark present, figures sane. */
class QuickSuiteSmokeTest {

    @TempDir
    Path dir;

    @Test
    void quickModeMeasuresEveryBenchmarkWithFinitePositiveFigures() throws Exception {
        Set<String> declared = new TreeSet<>();
        for (BenchmarkListEntry e : BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                List.of("dev\\.embedtune\\.bench\\..*"), List.of())) {
            declared.add(e.getUsername());
        }
        assertTrue(!declared.isEmpty(), "no benchmark compiled into META-INF/BenchmarkList");

        ResultFile result = SuiteRunner.run(SuiteRunner.Mode.QUICK, List.of(), 0);
        Path file = dir.resolve("quick.json");
        result.write(file);
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
    }
}
