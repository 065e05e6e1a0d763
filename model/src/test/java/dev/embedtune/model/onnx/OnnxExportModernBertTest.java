package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A tiny random ModernBERT (TinyModernBert's shape: 3 layers, global, local with a ±4-token sliding
 * window, global; RoPE with both thetas; GeGLU), with and without biases, exported and run by ONNX
 * Runtime in padded batches of 300 real texts up to 256 tokens: equal to the Embedder within 1e-5 (max abs of
 * the normalised mean-pooled vectors, from sentence_embedding and from last_hidden_state pooled here).
 */
class OnnxExportModernBertTest {
    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;
    static List<String> texts;

    @BeforeAll
    static void texts() throws Exception {
        texts = ExportFixtures.jargonTexts(300, ExportFixtures.MAX_SEQ_LENGTH);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void runsInOnnxRuntimeAsTheEmbedder(boolean biases) throws Exception {
        Path model = ExportFixtures.tinyModernBert(dir.resolve("modernbert-" + biases), 5, biases);
        OnnxExporter.Result r = OnnxExporter.export(model, dir.resolve("onnx-" + biases),
                OnnxExporter.Options.DEFAULT.withPoolingInGraph(true));
        assertEquals("modernbert", r.modelType());
        float[][] expected = Embedder.load(model, new Embedder.Options(16, null, null)).encode(texts);
        Tokenizer tok = Tokenizer.fromFile(r.directory().resolve("tokenizer.json"))
                .withTruncation(Truncation.of(ExportFixtures.MAX_SEQ_LENGTH)).withPadding(Padding.longest());
        try (OrtRunner ort = new OrtRunner(r.onnxFile())) {
            assertEquals(Set.of("input_ids", "attention_mask"), ort.inputNames(), "ModernBERT has no token_type_ids");
            float[][][] out = ort.embed(texts, tok, 7, PoolingConfig.Mode.MEAN, true);
            double inGraph = OrtRunner.maxAbsDiff(out[0], expected), pooledHere = OrtRunner.maxAbsDiff(out[1], expected);
            System.out.printf("tiny ModernBERT (biases %s), 300 texts: max |ORT - Embedder| sentence_embedding %.3g, "
                    + "last_hidden_state pooled %.3g%n", biases, inGraph, pooledHere);
            assertTrue(inGraph <= TOLERANCE, "sentence_embedding: " + inGraph);
            assertTrue(pooledHere <= TOLERANCE, "last_hidden_state pooled: " + pooledHere);
        }
    }
}
