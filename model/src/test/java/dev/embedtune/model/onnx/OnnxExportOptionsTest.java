package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every pooling mode sentence-transformers has (alone and concatenated), with and without
 * Normalize and a Matryoshka truncate_dim, at opsets from 13 (LayerNorm decomposed, reduction axes
 * as attributes) to 21 (axes as inputs): sentence_embedding from ONNX Runtime equals the Embedder's
 * vectors within 1e-5 (max abs) on 200 real texts, and the graph holds the operators the opset calls for.
 */
class OnnxExportOptionsTest {
    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;
    static List<String> texts;

    @BeforeAll
    static void texts() throws Exception {
        texts = ExportFixtures.jargonTexts(200, ExportFixtures.MAX_SEQ_LENGTH);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(13, pooling(true, false, false, false, false, false), true, null),
                Arguments.of(17, pooling(false, false, true, false, false, false), false, null),
                Arguments.of(18, pooling(false, false, false, false, true, false), true, null),
                Arguments.of(17, pooling(false, false, false, false, false, true), true, null),
                Arguments.of(21, pooling(false, false, false, true, false, false), true, 16),
                Arguments.of(19, pooling(true, true, true, false, false, false), true, 40));
    }

    private static PoolingConfig pooling(boolean cls, boolean mean, boolean max, boolean sqrtLen, boolean weighted,
            boolean last) {
        return new PoolingConfig(32, cls, mean, max, sqrtLen, weighted, last, true);
    }

    @ParameterizedTest(name = "opset {0}, {1}, normalize {2}, truncate {3}")
    @MethodSource("cases")
    void poolingInTheGraphGivesTheEmbeddersVectors(int opset, PoolingConfig pooling, boolean normalize, Integer truncate)
            throws Exception {
        String name = "opset" + opset + "-" + pooling.modes() + "-" + normalize + "-" + truncate;
        Path model = ExportFixtures.tinyBert(dir.resolve(name), 3, pooling, normalize, truncate);
        OnnxExporter.Result r = OnnxExporter.export(model, dir.resolve(name + "-onnx"),
                OnnxExporter.Options.DEFAULT.withOpset(opset).withPoolingInGraph(true));
        int dimension = truncate != null ? truncate : 32 * pooling.modes().size();
        assertEquals(dimension, r.dimension());

        OnnxGraph graph = OnnxGraph.parse(ByteBuffer.wrap(Files.readAllBytes(r.onnxFile())));
        boolean fused = graph.nodes().stream().anyMatch(n -> n.opType().equals("LayerNormalization"));
        assertEquals(opset >= 17, fused, "LayerNormalization exists from opset 17");

        float[][] expected = Embedder.load(model, new Embedder.Options(16, null, null)).encode(texts);
        Tokenizer tok = Tokenizer.fromFile(r.directory().resolve("tokenizer.json"))
                .withTruncation(Truncation.of(ExportFixtures.MAX_SEQ_LENGTH)).withPadding(Padding.longest());
        try (OrtRunner ort = new OrtRunner(r.onnxFile())) {
            float[][] ours = ort.embed(texts, tok, 7, PoolingConfig.Mode.CLS, false)[0];
            assertEquals(dimension, ours[0].length);
            double diff = OrtRunner.maxAbsDiff(ours, expected);
            System.out.printf("%s: max |ORT sentence_embedding - Embedder| %.3g%n", name, diff);
            assertTrue(diff <= TOLERANCE, name + ": " + diff);
        }

        // The importer reads the decomposed LayerNorm's eps (opset < 17) as well as LayerNormalization's.
        Path imported = dir.resolve(name + "-imported");
        BertImport.files(r.onnxFile(), r.directory().resolve("tokenizer.json"),
                new BertImport.Options(PoolingConfig.Mode.MEAN, true, 256, 512), imported);
        assertArrayEquals(Files.readAllBytes(model.resolve("model.safetensors")), Files.readAllBytes(imported.resolve("model.safetensors")));
    }
}
