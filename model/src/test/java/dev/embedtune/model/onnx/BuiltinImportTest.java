package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.bert.BertWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.TensorInfo;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.st.PoolingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Imports both built-in ONNX models and checks the result against facts we did not compute. */
class BuiltinImportTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(BuiltinModel.class)
    void importsEveryTensorUnderItsHuggingFaceNameAndShape(BuiltinModel model) throws IOException {
        Path out = dir.resolve(model.id());
        OnnxBertImporter.ImportedBert bert = BertImport.builtin(model, out);
        BertConfig c = bert.config();
        int layers = model == BuiltinModel.ALL_MINILM_L6_V2 ? 6 : 12;
        // Sizes published for both models (sentence-transformers/all-MiniLM-L6-v2, BAAI/bge-small-en-v1.5).
        assertEquals(new BertConfig(30522, 384, layers, 12, 1536, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12, 0), c);
        // BertModel without pooler: 5 embedding tensors + 16 per layer.
        assertEquals(5 + 16 * layers, bert.weights().size());
        long expectedParams = 30522L * 384 + 512 * 384 + 2 * 384 + 2 * 384
                + layers * (4 * (384L * 384 + 384) + 2 * 2 * 384 + 384L * 1536 + 1536 + 1536L * 384 + 384);
        assertEquals(expectedParams, bert.parameterCount());
        if (model == BuiltinModel.ALL_MINILM_L6_V2) {
            assertEquals(101, bert.weights().size());            // the figures
            assertEquals(22_565_376L, bert.parameterCount());
        } else {
            assertEquals(33_212_160L, bert.parameterCount());     // "33.2 M" of MODELS-NOTES.md
        }

        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertEquals(bert.weights().keySet(), new java.util.HashSet<>(f.names()));
            for (String name : BertWeights.names(c)) {
                assertArrayEquals(BertWeights.shape(c, name), f.info(name).shape(), name);
            }
            assertArrayEquals(new long[] {1536, 384}, f.info("encoder.layer.0.intermediate.dense.weight").shape());
            assertArrayEquals(new long[] {384, 1536}, f.info("encoder.layer.0.output.dense.weight").shape());
            assertFalse(f.contains("embeddings.position_ids"));
            independentHeaderCheck(out.resolve("model.safetensors"), f);
        }
        checkTransposedAgainstOnnx(model, out);

        ModelDirectory md = ModelDirectory.read(out);
        assertEquals(c, md.config());
        assertTrue(md.isSentenceTransformers());
        assertTrue(md.normalize());
        assertEquals(List.of(model.pooling()), md.pooling().modes());
        assertEquals(model.maxSeqLength(), md.sentenceBert().maxSeqLength());
        assertEquals("cosine", md.settings().similarityFnName());
        assertTrue(Files.isDirectory(out.resolve("2_Normalize")));
        List<String> vocab = Files.readAllLines(out.resolve("vocab.txt"));
        assertEquals(30522, vocab.size());
        assertEquals(List.of("[PAD]", "[unused0]"), vocab.subList(0, 2));
        assertEquals("[CLS]", vocab.get(101));
        assertEquals("[SEP]", vocab.get(102));
        JsonNode tok = new ObjectMapper().readTree(out.resolve("tokenizer.json").toFile());
        assertTrue(tok.get("truncation").isNull() && tok.get("padding").isNull(), "file truncation/padding cleared");
        JsonNode modules = new ObjectMapper().readTree(out.resolve("modules.json").toFile());
        assertEquals("sentence_transformers.models.Pooling", modules.get(1).get("type").asText());
        assertEquals("1_Pooling", modules.get(1).get("path").asText());
        JsonNode pooling = new ObjectMapper().readTree(out.resolve("1_Pooling/config.json").toFile());
        assertEquals(model.pooling() == PoolingConfig.Mode.MEAN, pooling.get("pooling_mode_mean_tokens").asBoolean());
        assertEquals(model.pooling() == PoolingConfig.Mode.CLS, pooling.get("pooling_mode_cls_token").asBoolean());
    }

    /** Parses the header with plain Jackson and ByteBuffer and compares it with our reader's view. */
    private static void independentHeaderCheck(Path file, SafetensorsFile ours) throws IOException {
        byte[] head = new byte[8];
        try (InputStream in = Files.newInputStream(file)) {
            assertEquals(8, in.readNBytes(head, 0, 8));
            long n = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] json = in.readNBytes((int) n);
            JsonNode header = new ObjectMapper().readTree(new String(json, StandardCharsets.UTF_8));
            assertEquals("pt", header.get("__metadata__").get("format").asText());
            long total = 0;
            int count = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                count++;
                TensorInfo info = ours.info(e.getKey());
                assertEquals(e.getValue().get("dtype").asText(), info.dtype().name());
                assertEquals(e.getValue().get("data_offsets").get(0).asLong(), info.begin());
                assertEquals(e.getValue().get("data_offsets").get(1).asLong(), info.end());
                assertEquals(e.getValue().get("shape").size(), info.shape().length);
                total += info.end() - info.begin();
            }
            assertEquals(ours.names().size(), count);
            assertEquals(Files.size(file), 8 + n + total);
        }
    }

    /** The query weight of layer 0 must be the transpose of the ONNX MatMul operand feeding its bias Add. */
    private static void checkTransposedAgainstOnnx(BuiltinModel model, Path out) throws IOException {
        byte[] bytes;
        try (InputStream in = BuiltinImportTest.class.getClassLoader().getResourceAsStream(model.onnxResource())) {
            bytes = in.readAllBytes();
        }
        OnnxGraph g = OnnxGraph.parse(ByteBuffer.wrap(bytes));
        String biasAdd = null;
        for (OnnxGraph.Node n : g.nodes()) {
            if (n.opType().equals("Add") && n.inputs().contains("encoder.layer.0.attention.self.query.bias")) {
                biasAdd = n.inputs().get(0).equals("encoder.layer.0.attention.self.query.bias") ? n.inputs().get(1) : n.inputs().get(0);
            }
        }
        OnnxGraph.Tensor onnxWeight = null;
        for (OnnxGraph.Node n : g.nodes()) {
            if (n.opType().equals("MatMul") && n.outputs().get(0).equals(biasAdd)) {
                onnxWeight = g.initializers().get(n.inputs().get(1));
            }
        }
        assertArrayEquals(new long[] {384, 384}, onnxWeight.dims(), "ONNX stores [in, out]");
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            float[] ours = f.getFloats("encoder.layer.0.attention.self.query.weight");   // [out, in]
            for (int i = 0; i < 384; i += 37) {
                for (int o = 0; o < 384; o += 41) {
                    assertEquals(onnxWeight.data()[i * 384 + o], ours[o * 384 + i], 0.0, "W[" + o + "][" + i + "]");
                }
            }
        }
        assertNull(g.initializers().get("encoder.layer.0.attention.self.query.weight"), "the ONNX name is anonymous");
    }

    @Test
    void theCacheImportsOnceAndReuses() throws IOException {
        String previous = System.getProperty("embedtune.home");
        System.setProperty("embedtune.home", dir.toString());
        try {
            Path first = ModelCache.resolve("builtin:all-minilm-l6-v2");
            assertEquals(dir.resolve("models/all-minilm-l6-v2"), first);
            long stamp = Files.getLastModifiedTime(first.resolve("model.safetensors")).toMillis();
            Path second = ModelCache.resolve("builtin:all-minilm-l6-v2");
            assertEquals(first, second);
            assertEquals(stamp, Files.getLastModifiedTime(second.resolve("model.safetensors")).toMillis());
        } finally {
            if (previous == null) {
                System.clearProperty("embedtune.home");
            } else {
                System.setProperty("embedtune.home", previous);
            }
        }
    }
}
