package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.OnnxEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 19's acceptance on the built-in models (all-MiniLM-L6-v2: mean pooling; bge-small-en-v1.5:
 * CLS pooling): the exported model.onnx, run by ONNX Runtime and by langchain4j's OnnxEmbeddingModel,
 * gives the Embedder's vectors within 1e-5 (max abs over every dimension of the normalised vectors)
 * on 1,000 real texts, and import-onnx turns it back into the same model.safetensors, byte for byte.
 */
class OnnxExportBuiltinTest {
    /** float32 against float32 through other kernels and another summation order. */
    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;
    static List<String> texts;

    @BeforeAll
    static void texts() throws Exception {
        // at most 256 tokens: MiniLM's max_seq_length, so neither the Embedder nor langchain4j cuts a text
        texts = ExportFixtures.jargonTexts(1000, 256);
    }

    @ParameterizedTest
    @EnumSource(BuiltinModel.class)
    void exportedModelGivesTheEmbeddersVectorsAndImportsBackBitForBit(BuiltinModel builtin) throws Exception {
        long start = System.nanoTime();
        Path model = ModelCache.builtin(builtin);
        Path exported = dir.resolve(builtin.id());
        OnnxExporter.Result r = OnnxExporter.export(model, exported, OnnxExporter.Options.DEFAULT.withPoolingInGraph(true));
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), r.inputs());
        assertEquals(List.of("last_hidden_state", "sentence_embedding"), r.outputs());
        long t0 = System.nanoTime();
        float[][] expected = Embedder.load(model, new Embedder.Options(16, null, null)).encode(texts);
        long t1 = System.nanoTime();

        Tokenizer tok = Tokenizer.fromFile(exported.resolve("tokenizer.json"))
                .withTruncation(Truncation.of(builtin.maxSeqLength())).withPadding(Padding.longest());
        double inGraph, pooledHere;
        try (OrtRunner ort = new OrtRunner(r.onnxFile())) {
            float[][][] out = ort.embed(texts, tok, 7, builtin.pooling(), true);
            inGraph = OrtRunner.maxAbsDiff(out[0], expected);
            pooledHere = OrtRunner.maxAbsDiff(out[1], expected);
        }
        long t2 = System.nanoTime();
        OnnxEmbeddingModel langchain4j = new OnnxEmbeddingModel(r.onnxFile(), exported.resolve("tokenizer.json"),
                builtin.pooling() == PoolingConfig.Mode.CLS ? PoolingMode.CLS : PoolingMode.MEAN, Runnable::run);
        float[][] theirs = langchain4j.embedAll(texts.stream().map(TextSegment::from).toList()).content().stream()
                .map(e -> e.vector()).toArray(float[][]::new);
        double viaLangchain4j = OrtRunner.maxAbsDiff(theirs, expected);
        long t3 = System.nanoTime();
        System.out.printf("%s, 1,000 texts: max |x - Embedder|: ORT sentence_embedding %.3g, ORT last_hidden_state "
                + "pooled %.3g, langchain4j %.3g (export %.1f s, Embedder %.1f s, ORT %.1f s, langchain4j %.1f s)%n",
                builtin.id(), inGraph, pooledHere, viaLangchain4j, (t0 - start) / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                (t3 - t2) / 1e9);
        assertTrue(inGraph <= TOLERANCE, "sentence_embedding: " + inGraph);
        assertTrue(pooledHere <= TOLERANCE, "last_hidden_state pooled: " + pooledHere);
        assertTrue(viaLangchain4j <= TOLERANCE, "langchain4j: " + viaLangchain4j);

        Path imported = dir.resolve(builtin.id() + "-imported");
        BertImport.files(r.onnxFile(), exported.resolve("tokenizer.json"), new BertImport.Options(builtin.pooling(), true,
                builtin.maxSeqLength(), builtin.modelMaxLength()), imported);
        assertArrayEquals(Files.readAllBytes(model.resolve("model.safetensors")),
                Files.readAllBytes(imported.resolve("model.safetensors")), "import-onnx of the export");
    }
}
