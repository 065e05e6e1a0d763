package dev.embedtune.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch peer's own checks ({@code bert_peer.py --self-test}: LoRA against the merged weight,
 * exact GELU, MNRL against its formula, gradcheck of the LoRA + MNRL loss in float64, padding
 * invariance), run from the copy shipped on the classpath. Skipped where no python3 imports torch.
 */
class PythonPeerSelfTest {

    @TempDir
    Path dir;

    @Test
    void theScriptsLoraAndMnrlMathsPassItsSelfTest() throws Exception {
        PythonPeer.Interpreter python = PythonPeer.findPython();
        assumeTrue(python.command() != null, python.skipReason());
        Path script = dir.resolve("bert_peer.py");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(PythonPeer.SCRIPT_RESOURCE)) {
            Files.copy(in, script);
        }
        ProcessBuilder pb = new ProcessBuilder(python.command(), script.toString(), "--self-test")
                .redirectError(dir.resolve("stderr").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "self-test took over 120 s");
        String err = Files.readString(dir.resolve("stderr"));
        assertEquals(0, p.exitValue(), out + "\n" + err);
        assertTrue(out.contains("\"passed\": true"), out);
        assertTrue(err.contains("ok   gradcheck"), err);
    }
}
