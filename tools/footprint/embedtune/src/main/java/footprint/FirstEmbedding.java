package footprint;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Start-up to the first embedding and resident memory with embedtune's all-MiniLM-L6-v2 (the same
 * program as the langchain4j peer's): load, embed one text, then a batch of 32, and report.
 */
public final class FirstEmbedding {
    public static void main(String[] args) throws Exception {
        Embedder embedder = Embedder.load(ModelCache.resolve("builtin:all-minilm-l6-v2"));
        float[] first = embedder.encode(List.of(Texts.FIRST))[0];
        long firstMs = ManagementFactory.getRuntimeMXBean().getUptime();
        long firstCpuMs = Texts.cpuMs();
        long batchStart = System.nanoTime();
        embedder.encode(Texts.batch());
        double batchMs = (System.nanoTime() - batchStart) / 1e6;
        long batchCpuMs = Texts.cpuMs() - firstCpuMs;
        Texts.report(firstMs, firstCpuMs, batchMs, batchCpuMs, first);
    }

    /** The same texts and report as the peer's copy of this class. */
    static final class Texts {
        static final String FIRST = "A hacker enjoys exploring the details of programmable systems.";

        static List<String> batch() {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                texts.add("Text number " + i + " about compilers, kernels and the people who hack on them.");
            }
            return texts;
        }

        /** CPU time of the whole process (every thread: compute, JIT, GC), less sensitive than wall
         *  time to other processes on a shared machine. */
        static long cpuMs() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime() / 1_000_000;
        }

        static void report(long firstMs, long firstCpuMs, double batchMs, long batchCpuMs, float[] first) throws Exception {
            System.gc();
            String status = Files.readString(Path.of("/proc/self/status"));
            System.out.printf(Locale.ROOT, "first_embedding_ms=%d first_embedding_cpu_ms=%d batch32_ms=%.0f batch32_cpu_ms=%d "
                    + "rss_mb=%.0f peak_rss_mb=%.0f heap_used_mb=%.0f first=%.6f,%.6f,%.6f%n",
                    firstMs, firstCpuMs, batchMs, batchCpuMs, kb(status, "VmRSS") / 1024.0, kb(status, "VmHWM") / 1024.0,
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1048576.0,
                    first[0], first[1], first[2]);
        }

        private static long kb(String status, String key) {
            for (String line : status.split("\n")) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IllegalStateException(key + " not in /proc/self/status");
        }
    }
}
