package footprint;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Start-up to the first embedding and resident memory with langchain4j's in-process
 * all-MiniLM-L6-v2 on ONNX Runtime (the same program as embedtune's): load, embed one text, then a
 * batch of 32, and report.
 */
public final class FirstEmbedding {
    public static void main(String[] args) throws Exception {
        EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();
        float[] first = model.embed(Texts.FIRST).content().vector();
        long firstMs = ManagementFactory.getRuntimeMXBean().getUptime();
        long firstCpuMs = Texts.cpuMs();
        long batchStart = System.nanoTime();
        model.embedAll(Texts.batch().stream().map(TextSegment::from).toList());
        double batchMs = (System.nanoTime() - batchStart) / 1e6;
        long batchCpuMs = Texts.cpuMs() - firstCpuMs;
        Texts.report(firstMs, firstCpuMs, batchMs, batchCpuMs, first);
    }

    /** The same texts and report as embedtune's copy of this class. */
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
