package dev.embedtune.bench.suite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a benchmark result file says about the machine it was measured on, so that files from
 * several machines can be compared. The ND4J facts come from
 * {@code Nd4j.getExecutioner().getEnvironmentInformation()} (keys as {@code Nd4jEnvironment}
 * defines them), so a CUDA run reports its devices without any CPU-only assumption.
 *
 * @param label        short name for table columns: the device name on CUDA, else the CPU model
 * @param backend      "CPU" or "CUDA" (as ND4J reports it)
 * @param devices      CUDA devices as "name (N GiB)"; empty on CPU
 * @param cpuModel     /proc/cpuinfo "model name", or os.arch when unknown
 * @param cores        logical cores the JVM sees
 * @param ompThreads   libnd4j's OpenMP threads
 * @param blasThreads  BLAS threads
 * @param jvm          java.vm.name and java.version
 * @param nd4jVersion  ND4J version on the classpath
 * @param gitCommit    commit of the checkout, or "unknown"
 * @param date         ISO-8601 UTC time of the run
 */
public record MachineInfo(String label, String backend, List<String> devices, String cpuModel,
        int cores, int ompThreads, int blasThreads, String jvm, String nd4jVersion,
        String gitCommit, String date) {

    /** Reads the facts of the machine this JVM runs on (starts ND4J). */
    public static MachineInfo detect() {
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        String backend = String.valueOf(env.getOrDefault("backend", "unknown"));
        List<String> devices = new ArrayList<>();
        Object info = env.get("cuda.devicesInformation");
        if (info instanceof List<?> list) {
            for (Object device : list) {
                if (device instanceof Map<?, ?> map) {
                    Object bytes = map.get("cuda.totalMemory");
                    double gib = bytes instanceof Number n ? n.doubleValue() / (1L << 30) : Double.NaN;
                    devices.add(String.format("%s (%.1f GiB)", map.get("cuda.deviceName"), gib));
                }
            }
        }
        String cpu = readCpuModel();
        String label = devices.isEmpty() ? cpu + " ×" + Runtime.getRuntime().availableProcessors()
                : devices.get(0);
        return new MachineInfo(label, backend, devices, cpu,
                Runtime.getRuntime().availableProcessors(),
                intOf(env.get("omp.threads")), intOf(env.get("blas.threads")),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                readNd4jVersion(), readGitCommit(),
                OffsetDateTime.now(ZoneOffset.UTC).withNano(0).toString());
    }

    /** The record as an ordered map, for the result file. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("backend", backend);
        m.put("devices", devices);
        m.put("cpuModel", cpuModel);
        m.put("cores", cores);
        m.put("ompThreads", ompThreads);
        m.put("blasThreads", blasThreads);
        m.put("jvm", jvm);
        m.put("nd4jVersion", nd4jVersion);
        m.put("gitCommit", gitCommit);
        // The OpenBLAS kernels ND4J computes with here (NativeRuntime selects SkylakeX where OpenBLAS 0.3.19
        // would pick AVX2 ones), and the environment it started from.
        String core = dev.embedtune.quant.NativeRuntime.blasCore();
        m.put("blasCore", core == null ? "unknown" : core);
        m.put("openblasCoretypeEnv", String.valueOf(System.getenv("OPENBLAS_CORETYPE")));
        m.put("date", date);
        return m;
    }

    private static int intOf(Object o) {
        try {
            return o == null ? -1 : Integer.parseInt(String.valueOf(o));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String readCpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through to the architecture
        }
        return System.getProperty("os.arch");
    }

    private static String readNd4jVersion() {
        Package p = Nd4j.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v != null ? v : "1.0.0-M2.1 (from the build)";
    }

    private static String readGitCommit() {
        String fromEnv = System.getenv("EMBEDTUNE_GIT_COMMIT");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
