package dev.embedtune.bench.suite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Python environment of the real peers: a venv with the pinned versions of
 * {@code bench/python/requirements-peer.txt} (PyTorch CPU, sentence-transformers, PEFT, ONNX Runtime),
 * made by {@code bench/python/setup-peer-venv.sh}. Its place: {@code -Dembedtune.peerVenv}, else
 * {@code $EMBEDTUNE_PEER_VENV}, else {@code bench/target/peer-venv} of the checkout (bin/bench-suite
 * passes it), else {@code target/peer-venv} under the working directory (the bench module's tests).
 *
 * <p>A venv is ready when its marker file holds the pins shipped in this jar. The full suite makes or
 * completes it ({@link #ensure}); quick mode only uses one that is ready ({@link #ifReady}), so that a
 * smoke run never spends minutes installing.
 */
public final class PeerVenv {
    static final String REQUIREMENTS = "requirements-peer.txt";
    static final String SETUP = "setup-peer-venv.sh";
    /** The MKL vendor-check override's source, which the setup script compiles into the venv. */
    static final String MKL_ON_AMD_SOURCE = "mkl-on-amd.c";
    /** Everything the setup script reads beside itself: copied out of the jar with it. */
    static final List<String> SETUP_FILES = List.of(SETUP, REQUIREMENTS, MKL_ON_AMD_SOURCE);
    private static final String MKL_ON_AMD_LIBRARY = "lib/libmkl-on-amd.so";
    static final String MARKER = ".requirements-installed";
    private static final long SETUP_MINUTES = 30;

    private PeerVenv() {
    }

    /** Where the venv is (or would be). */
    static Path location() {
        String prop = System.getProperty("embedtune.peerVenv");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("EMBEDTUNE_PEER_VENV");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path checkout = Path.of("bench", "target", "peer-venv");
        return Files.isDirectory(Path.of("bench", "python")) ? checkout.toAbsolutePath() : Path.of("target", "peer-venv").toAbsolutePath();
    }

    /** The venv's interpreter when it is ready, else none with the reason and how to make it. */
    static PythonPeer.Interpreter ifReady() {
        Path venv = location();
        String why = notReady(venv);
        return why == null ? new PythonPeer.Interpreter(venv.resolve("bin/python").toString(), null)
                : new PythonPeer.Interpreter(null, why + "; quick mode does not install it: run bin/bench-suite --mode full"
                        + " once, or bench/python/setup-peer-venv.sh " + venv);
    }

    /** The venv's interpreter, installing the pinned packages first when needed; none when that fails. */
    static PythonPeer.Interpreter ensure() {
        Path venv = location();
        if (notReady(venv) == null && !lacksMklOverride(venv)) {
            return new PythonPeer.Interpreter(venv.resolve("bin/python").toString(), null);
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("peer-venv-setup");
            for (String file : SETUP_FILES) {
                PythonPeer.copyResource(file, dir);
            }
            Path script = dir.resolve(SETUP);
            Path log = dir.resolve("log");
            System.out.println("peers: installing the peer venv into " + venv + " (" + SETUP + ", pinned versions) …");
            Process p = new ProcessBuilder("bash", script.toString(), venv.toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(SETUP_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
                return new PythonPeer.Interpreter(null, SETUP + " took over " + SETUP_MINUTES + " minutes");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0 || notReady(venv) != null) {
                String[] lines = out.split("\n");
                String tail = String.join(" | ", List.of(lines).subList(Math.max(0, lines.length - 3), lines.length));
                return new PythonPeer.Interpreter(null, SETUP + " " + venv + " failed (exit " + p.exitValue() + "): " + tail);
            }
            System.out.println("peers: " + out.substring(out.lastIndexOf('\n') + 1));
            return new PythonPeer.Interpreter(venv.resolve("bin/python").toString(), null);
        } catch (IOException e) {
            return new PythonPeer.Interpreter(null, "could not run " + SETUP + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new PythonPeer.Interpreter(null, "interrupted while installing the peer venv");
        } finally {
            PythonPeer.deleteQuietly(dir);
        }
    }

    /**
     * {@code LD_PRELOAD} of the MKL vendor-check override ({@code bench/python/mkl-on-amd.c}, built by the
     * setup script) when the CPU is AMD and the override was built; empty otherwise or when
     * {@code EMBEDTUNE_PEER_MKL_ON_AMD=0}. It is the peers' fastest configuration here (PyTorch's MKL
     * sgemm about twice as fast), so the suite gives it to them and names it in each peer's params.
     */
    static Map<String, String> mklOnAmd() {
        Path shim = location().resolve(MKL_ON_AMD_LIBRARY);
        if ("0".equals(System.getenv("EMBEDTUNE_PEER_MKL_ON_AMD")) || !Files.isRegularFile(shim)) {
            return Map.of();
        }
        return amdCpu() ? Map.of("LD_PRELOAD", shim.toString()) : Map.of();
    }

    /**
     * True when the venv should hold the override and does not: an AMD CPU, a C compiler on the PATH,
     * no library. {@link #ensure} then runs the setup script again, which builds it (a venv made
     * before the script was given the override's source, or by hand without it, would otherwise
     * leave the peers on MKL's generic AMD path: half their sgemm rate here).
     */
    static boolean lacksMklOverride(Path venv) {
        return !"0".equals(System.getenv("EMBEDTUNE_PEER_MKL_ON_AMD")) && amdCpu() && onPath("cc")
                && !Files.isRegularFile(venv.resolve(MKL_ON_AMD_LIBRARY));
    }

    static boolean amdCpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().anyMatch(l -> l.startsWith("vendor_id")
                    && l.contains("AuthenticAMD"));
        } catch (IOException e) {
            return false;
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        return path != null && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, program)));
    }

    /** Null when {@code venv} holds the pins of this jar, else why not. */
    static String notReady(Path venv) {
        if (!Files.isExecutable(venv.resolve("bin/python"))) {
            return "no peer venv at " + venv;
        }
        try (var in = PeerVenv.class.getClassLoader().getResourceAsStream(PythonPeer.RESOURCE_DIR + REQUIREMENTS)) {
            if (in == null) {
                return "classpath resource " + REQUIREMENTS + " missing: is bench built?";
            }
            String wanted = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Path marker = venv.resolve(MARKER);
            if (!Files.isRegularFile(marker) || !Files.readString(marker, StandardCharsets.UTF_8).equals(wanted)) {
                return "the peer venv at " + venv + " lacks the pinned versions of " + REQUIREMENTS;
            }
            return null;
        } catch (IOException e) {
            return "cannot read the peer venv's marker: " + e.getMessage();
        }
    }
}
