package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.st.PoolingConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImportErrorsTest {

    @TempDir
    Path dir;

    /** ModelProto{graph: GraphProto{nodes, initializers}}: x · W then an op that is no bias Add. */
    private static byte[] graph(String consumerOfProduct) {
        ProtoWriter g = new ProtoWriter()
                .message(1, ProtoWriter.node("MatMul", new String[] {"x", "onnx::MatMul_7"}, "y"))
                .message(1, ProtoWriter.node(consumerOfProduct, new String[] {"y", "something"}, "z"))
                .message(5, ProtoWriter.floatTensor("onnx::MatMul_7", new float[6], 2, 3))
                .message(5, ProtoWriter.floatTensor("something", new float[3], 3));
        return new ProtoWriter().varint(1, 8).message(7, g).toByteArray();
    }

    @Test
    void theReaderParsesWhatTheTestWriterWrites() throws IOException {
        OnnxGraph g = OnnxGraph.parse(ByteBuffer.wrap(graph("Add")));
        assertEquals(2, g.nodes().size());
        assertEquals("MatMul", g.nodes().get(0).opType());
        assertEquals(java.util.List.of("x", "onnx::MatMul_7"), g.nodes().get(0).inputs());
        assertTrue(Arrays.equals(new long[] {2, 3}, g.initializers().get("onnx::MatMul_7").dims()));
    }

    @Test
    void aWeightThatCannotBePlacedIsNamed() {
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxBertImporter.importGraph(OnnxGraph.parse(ByteBuffer.wrap(graph("Mul")))));
        assertTrue(e.getMessage().contains("onnx::MatMul_7") && e.getMessage().contains("named bias"), e.getMessage());
        // an Add whose other operand is not named X.bias cannot place it either
        e = assertThrows(OnnxFormatException.class,
                () -> OnnxBertImporter.importGraph(OnnxGraph.parse(ByteBuffer.wrap(graph("Add")))));
        assertTrue(e.getMessage().contains("onnx::MatMul_7"), e.getMessage());
    }

    @Test
    void truncatedOrForeignBytesGiveAClearError() throws IOException {
        byte[] whole = graph("Add");
        // The graph is one length-delimited field: every cut either ends inside it (a length beyond
        // the data) or before it (no graph at all); both must be reported, never read as a smaller model.
        for (int cut = 0; cut < whole.length; cut++) {
            byte[] part = Arrays.copyOf(whole, cut);
            assertThrows(OnnxFormatException.class, () -> OnnxGraph.parse(ByteBuffer.wrap(part)), "cut at " + cut);
        }
        assertThrows(OnnxFormatException.class, () -> OnnxGraph.parse(ByteBuffer.wrap("not onnx at all".getBytes())));

        Path onnx = dir.resolve("broken.onnx");
        Files.write(onnx, Arrays.copyOf(whole, whole.length / 2));
        Path tok = dir.resolve("tokenizer.json");
        Files.writeString(tok, "{}");
        ModelFormatException m = assertThrows(ModelFormatException.class, () -> BertImport.files(onnx, tok,
                new BertImport.Options(PoolingConfig.Mode.MEAN, true, 256, 512), dir.resolve("out")));
        assertTrue(m.getMessage().startsWith(onnx.toString()), m.getMessage());
    }

    @Test
    void unknownBuiltinsListTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BuiltinModel.of("builtin:gpt-9"));
        assertTrue(e.getMessage().contains("builtin:all-minilm-l6-v2") && e.getMessage().contains("builtin:bge-small-en-v1.5"));
        ModelFormatException m = assertThrows(ModelFormatException.class, () -> ModelCache.resolve(dir.resolve("nope").toString()));
        assertTrue(m.getMessage().contains("not a model directory"), m.getMessage());
    }
}
