package dev.embedtune.bench.suite;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer venv's setup, as the suite runs it from the jar (away from the checkout's bench/python). */
class PeerVenvTest {

    /**
     * The suite copies the setup script out of the jar into an empty directory: every file the script
     * reads beside itself ({@code $here/NAME}) must be copied with it. (The override's C source was
     * not, so a suite-made venv silently lacked MKL's AVX-512 kernels and the peers ran at half speed.)
     */
    @Test
    void everyFileTheSetupScriptReadsIsCopiedWithIt() throws IOException {
        String script = resource(PeerVenv.SETUP);
        Matcher m = Pattern.compile("\\$here/([A-Za-z][A-Za-z0-9._-]*)").matcher(script);
        List<String> read = new ArrayList<>();
        while (m.find()) {
            read.add(m.group(1));
        }
        assertTrue(read.contains(PeerVenv.MKL_ON_AMD_SOURCE) && read.contains(PeerVenv.REQUIREMENTS), "read: " + read);
        for (String name : read) {
            assertTrue(PeerVenv.SETUP_FILES.contains(name), PeerVenv.SETUP + " reads $here/" + name + ", which ensure() does not copy");
            assertNotNull(resource(name), name);
        }
    }

    /** On an AMD CPU with a C compiler a venv without the override is incomplete, and complete with it. */
    @Test
    void aVenvWithoutTheOverrideIsCompletedOnAmdWithACompiler(@TempDir Path venv) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(PeerVenv.amdCpu() && PeerVenv.onPath("cc")
                && System.getenv("EMBEDTUNE_PEER_MKL_ON_AMD") == null, "needs an AMD CPU and a C compiler (cc) on the PATH");
        assertTrue(PeerVenv.lacksMklOverride(venv));
        Files.createDirectories(venv.resolve("lib"));
        Files.writeString(venv.resolve("lib/libmkl-on-amd.so"), "");
        assertFalse(PeerVenv.lacksMklOverride(venv));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = PeerVenv.class.getClassLoader().getResourceAsStream(PythonPeer.RESOURCE_DIR + name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
