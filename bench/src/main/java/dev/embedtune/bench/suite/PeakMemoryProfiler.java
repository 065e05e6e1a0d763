package dev.embedtune.bench.suite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler that runs inside the benchmark's forked JVM and reports, after each iteration,
 * the process's peak resident memory ({@code VmHWM} of /proc/self/status, which includes ND4J's
 * off-heap buffers) and, on CUDA, the device memory in use. Aggregated by maximum.
 */
public final class PeakMemoryProfiler implements InternalProfiler {

    public static final String RSS = "peak.rss.mb";
    public static final String DEVICE = "device.used.mb";

    @Override
    public String getDescription() {
        return "peak process RSS (VmHWM) and CUDA device memory in use";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
            IterationParams iterationParams, IterationResult result) {
        List<Result> out = new ArrayList<>();
        double rss = peakRssMb();
        if (rss >= 0) {
            out.add(new ScalarResult(RSS, rss, "MB", AggregationPolicy.MAX));
        }
        double device = deviceUsedMb();
        if (device >= 0) {
            out.add(new ScalarResult(DEVICE, device, "MB", AggregationPolicy.MAX));
        }
        return out;
    }

    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String kb = line.substring(6).trim().split("\\s+")[0];
                    return Long.parseLong(kb) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }

    /** Device memory in use on the first CUDA device, or -1 on other backends. */
    static double deviceUsedMb() {
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        if (env.get("cuda.devicesInformation") instanceof List<?> devices && !devices.isEmpty()
                && devices.get(0) instanceof Map<?, ?> device
                && device.get("cuda.totalMemory") instanceof Number total
                && device.get("cuda.freeMemory") instanceof Number free) {
            return (total.doubleValue() - free.doubleValue()) / (1 << 20);
        }
        return -1;
    }
}
