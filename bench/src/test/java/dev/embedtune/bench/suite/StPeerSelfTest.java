package dev.embedtune.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real peer's own checks ({@code st_peer.py --self-test} in the peer venv: the exact-length texts it
 * feeds encode() and the trainer tokenise to exactly 128 tokens with the model's tokenizer, and PEFT puts
 * LoRA on the 36 encoder linears the Java step adapts). Skipped where the peer venv is not ready.
 */
class StPeerSelfTest {

    @TempDir
    Path dir;

    @Test
    void theRealPeerFeedsTheShapesItClaims() throws Exception {
        PythonPeer.Interpreter python = PeerVenv.ifReady();
        assumeTrue(python.command() != null, python.skipReason());
        Path script = PythonPeer.copyResource(PythonPeer.ST_SCRIPT, dir);
        Path model = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
        ProcessBuilder pb = new ProcessBuilder(python.command(), script.toString(), "--self-test", "--model-dir",
                model.toString(), "--threads", "1").redirectError(dir.resolve("stderr").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "self-test took over 300 s");
        String err = Files.readString(dir.resolve("stderr"));
        assertEquals(0, p.exitValue(), out + "\n" + err);
        assertTrue(out.contains("\"passed\": true"), out);
        assertTrue(err.contains("ok   exact-length texts") && err.contains("ok   LoRA on 72"), err);
    }
}
