package dev.embedtune.quant;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The native settings embedtune applies to ND4J's CPU backend, once per process, before its own first
 * computation. Every entry point (the encoders, {@code Embedder.load}, the kernels, the CLI) calls
 * {@link #configure()}; a program that embeds the library needs to do nothing.
 *
 * <p>What it sets, only where the user has not (an environment variable that is set always wins):
 * <ul>
 *   <li>{@code OMP_WAIT_POLICY=PASSIVE} and {@code OPENBLAS_THREAD_TIMEOUT=4}: libnd4j's OpenMP threads
 *       and OpenBLAS's threads otherwise spin against each other on small machines (measured: a
 *       BERT layer 30–60 % slower). Both are read when the native libraries load, so they take effect
 *       only when {@code configure()} runs before ND4J's first use; later they are left alone.</li>
 *   <li>The OpenBLAS core. ND4J 1.0.0-M2.1 bundles OpenBLAS 0.3.19, which predates AMD Zen 4/5: on
 *       those CPUs it picks its AVX2 (Haswell) kernels although the CPU runs AVX-512, and its SGEMM
 *       reaches about half of what its SkylakeX kernels reach there (measured on a 2-core Zen CPU:
 *       160 against 300 GFLOP/s for 4096×384·384×1536). When the CPU has AVX-512 F, CD, BW, DQ and VL
 *       and OpenBLAS chose a core without AVX-512, the SkylakeX kernels are selected: through
 *       {@code OPENBLAS_CORETYPE} when OpenBLAS is not loaded yet, otherwise by re-running OpenBLAS's
 *       own core selection ({@code gotoblas_dynamic_quit} / {@code gotoblas_dynamic_init}, exported
 *       by its DYNAMIC_ARCH build) in every loaded copy. No BLAS call may run during that switch, so
 *       it happens once, before embedtune's first GEMM.</li>
 * </ul>
 * {@code -Dembedtune.openblas.coretype=keep} leaves the core as OpenBLAS chose it; a core name (e.g.
 * {@code HASWELL}) forces that one. Nothing is done on other backends (CUDA) or operating systems.
 */
public final class NativeRuntime {
    private static final String CORE_PROPERTY = "embedtune.openblas.coretype";
    private static final Set<String> AVX512_CORES = Set.of("skylakex", "cooperlake", "sapphirerapids");
    private static final List<String> AVX512_FLAGS = List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
    private static final int RTLD_LAZY = 1, RTLD_NOLOAD = 4;
    private static String blasCore;
    private static boolean configured;

    private NativeRuntime() {
    }

    /** Applies the settings once; later calls return at once. Never throws: a failure leaves the defaults. */
    public static synchronized void configure() {
        if (configured) {
            return;
        }
        configured = true;
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux") || !cpuBackendOnClasspath()) {
            return;
        }
        try {
            String wanted = wantedCore();
            if (loadedOpenBlas().isEmpty()) {
                setDefaultEnvironment("OMP_WAIT_POLICY", "PASSIVE");
                setDefaultEnvironment("OPENBLAS_THREAD_TIMEOUT", "4");
                if (wanted != null) {
                    setEnvironment("OPENBLAS_CORETYPE", wanted);
                }
            } else if (wanted != null) {
                switchLoadedCore(wanted);
            }
        } catch (RuntimeException | LinkageError | IOException e) {
            // best effort: the defaults still compute correctly, only slower
        }
    }

    /**
     * The OpenBLAS core the process computes with (e.g. "SkylakeX"), or null when it is not known
     * (OpenBLAS not loaded yet, another backend, another BLAS).
     */
    public static synchronized String blasCore() {
        try {
            List<String> libs = loadedOpenBlas();
            if (libs.isEmpty()) {
                return blasCore;
            }
            Set<String> cores = new TreeSet<>();
            for (String lib : libs) {
                cores.add(function(lib, "openblas_get_corename").invokeString(new Object[0], false));
            }
            blasCore = String.join("/", cores);
        } catch (RuntimeException | LinkageError | IOException e) {
            // unknown
        }
        return blasCore;
    }

    /** The core to select, or null to leave OpenBLAS's own choice. */
    private static String wantedCore() throws IOException {
        String property = System.getProperty(CORE_PROPERTY, "auto").trim();
        if (property.equalsIgnoreCase("keep")) {
            return null;
        }
        if (!property.equalsIgnoreCase("auto")) {
            return property.toUpperCase(Locale.ROOT);
        }
        String environment = System.getenv("OPENBLAS_CORETYPE");
        if (environment != null && AVX512_CORES.contains(environment.trim().toLowerCase(Locale.ROOT))) {
            return null;                                     // already an AVX-512 core
        }
        return cpuFlags().containsAll(AVX512_FLAGS) ? "SKYLAKEX" : null;
    }

    private static void switchLoadedCore(String wanted) throws IOException {
        List<String> libs = loadedOpenBlas();
        boolean forced = !System.getProperty(CORE_PROPERTY, "auto").trim().equalsIgnoreCase("auto");
        setEnvironment("OPENBLAS_CORETYPE", wanted);
        for (String lib : libs) {
            String current = function(lib, "openblas_get_corename").invokeString(new Object[0], false);
            if (current == null || !forced && AVX512_CORES.contains(current.toLowerCase(Locale.ROOT))) {
                continue;                                    // already an AVX-512 core
            }
            function(lib, "gotoblas_dynamic_quit").invoke(Void.class, new Object[0]);
            function(lib, "gotoblas_dynamic_init").invoke(Void.class, new Object[0]);
        }
    }

    private static boolean cpuBackendOnClasspath() {
        try {
            Class.forName("org.nd4j.linalg.cpu.nativecpu.CpuBackend", false, NativeRuntime.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Paths of the OpenBLAS libraries mapped into this process. */
    private static List<String> loadedOpenBlas() throws IOException {
        Set<String> paths = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash >= 0 && line.substring(line.lastIndexOf('/') + 1).startsWith("libopenblas")) {
                paths.add(line.substring(slash).trim());
            }
        }
        return new ArrayList<>(paths);
    }

    private static Set<String> cpuFlags() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("flags")) {
                return new HashSet<>(Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
            }
        }
        return Set.of();
    }

    private static void setDefaultEnvironment(String name, String value) {
        if (System.getenv(name) == null) {
            setEnvironment(name, value);
        }
    }

    /** libc's setenv: the native libraries read the C environment, which System.getenv does not change. */
    private static void setEnvironment(String name, String value) {
        libc("setenv").invoke(int.class, new Object[] {name, value, 1});
    }

    /**
     * A function of an already loaded library, found through libc's dlopen(RTLD_NOLOAD) and dlsym.
     * The handle is never closed: JNA's own NativeLibrary would dlclose it at exit, and OpenBLAS then
     * reports "Bad memory unallocation" while ND4J still holds its buffers.
     */
    private static Function function(String library, String name) {
        Pointer handle = (Pointer) libc("dlopen").invoke(Pointer.class, new Object[] {library, RTLD_LAZY | RTLD_NOLOAD});
        if (handle == null) {
            throw new IllegalStateException(library + " is not loaded");
        }
        Pointer symbol = (Pointer) libc("dlsym").invoke(Pointer.class, new Object[] {handle, name});
        if (symbol == null) {
            throw new IllegalStateException(library + " has no symbol " + name);
        }
        return Function.getFunction(symbol);
    }

    private static Function libc(String name) {
        return NativeLibrary.getInstance("c").getFunction(name);
    }
}
