package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.st.PoolingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 8: what import-onnx says about a file that is not ONNX at all (random bytes, a zip,
 * text), and about an ONNX file that is cut short or damaged; never a raw protobuf error or an
 * allocation of gigabytes because a damaged header says so.
 */
class OnnxFileErrorsTest {

    @TempDir
    Path dir;

    private static final BertImport.Options OPTIONS = new BertImport.Options(PoolingConfig.Mode.MEAN, true, 256, 512);

    private ModelFormatException importing(byte[] onnx) throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.write(file, onnx);
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.exists(tok)) {
            Files.writeString(tok, "{}");
        }
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> BertImport.files(file, tok, OPTIONS, dir.resolve("out")));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e;
    }

    @Test
    void randomBytesAreNotAnOnnxModelFile() throws IOException {
        Random random = new Random(15);
        for (int trial = 0; trial < 200; trial++) {
            byte[] bytes = new byte[1 + random.nextInt(4096)];
            random.nextBytes(bytes);
            if (bytes[0] == 0x08) {
                bytes[0] = 0x09;   // the one first byte a real ModelProto starts with (ir_version)
            }
            ModelFormatException e = importing(bytes);
            assertTrue(e.getMessage().contains("not an ONNX model file"), "trial " + trial + ": " + e.getMessage());
        }
        assertTrue(importing(new byte[0]).getMessage().contains("not an ONNX model file"));
        assertTrue(importing("{\"model_type\": \"bert\"}".getBytes()).getMessage().contains("not an ONNX model file"));
        assertTrue(importing(new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0}).getMessage().contains("not an ONNX model file"));
    }

    @Test
    void aTruncatedOrDamagedExportSaysSo() throws IOException {
        byte[] whole;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(BuiltinModel.ALL_MINILM_L6_V2.onnxResource())) {
            whole = in.readAllBytes();
        }
        for (int cut : new int[] {2, 100, 5000, whole.length / 2, whole.length - 1}) {
            ModelFormatException e = importing(Arrays.copyOf(whole, cut));
            assertTrue(e.getMessage().contains("truncated or corrupted ONNX model file"), "cut at " + cut + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("not an ONNX model file"), e.getMessage());
        }
    }

    @Test
    void aDamagedTensorHeaderIsReportedBeforeAnyAllocation() {
        // dims of 2^31 × 2^31 (overflowing 64-bit element counts) and of 2^30 with no data at all
        ProtoWriter overflow = new ProtoWriter().varint(1, 1L << 31).varint(1, 1L << 31).varint(1, 1L << 31)
                .varint(2, 1).string(8, "w");
        ProtoWriter hollow = new ProtoWriter().varint(1, 1L << 30).varint(2, 1).string(8, "w");
        for (ProtoWriter tensor : new ProtoWriter[] {overflow, hollow}) {
            byte[] model = new ProtoWriter().varint(1, 8).message(7, new ProtoWriter().message(5, tensor)).toByteArray();
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxGraph.parse(ByteBuffer.wrap(model)));
            assertTrue(e.getMessage().contains("tensor w"), e.getMessage());
        }
    }

    @Test
    void aNonFiniteWeightIsNamed() throws IOException {
        byte[] whole;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(BuiltinModel.ALL_MINILM_L6_V2.onnxResource())) {
            whole = in.readAllBytes();
        }
        OnnxGraph graph = OnnxGraph.parse(ByteBuffer.wrap(whole));
        graph.initializers().get("embeddings.LayerNorm.weight").data()[5] = Float.NaN;
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxBertImporter.importGraph(graph));
        assertTrue(e.getMessage().contains("embeddings.LayerNorm.weight") && e.getMessage().contains("NaN"), e.getMessage());
    }
}
