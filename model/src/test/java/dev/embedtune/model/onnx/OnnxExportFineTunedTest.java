package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.ModelDirectory;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fine-tuned model (a tiny random BERT with LoRA adapters on every linear, exported from the
 * adapter directory, so merged by the exporter) against the Embedder on the merged model that
 * {@link LoraMerge} writes: on 1,000 real texts, ONNX Runtime's sentence_embedding, ONNX Runtime's
 * last_hidden_state pooled independently, and langchain4j's OnnxEmbeddingModel all within 1e-5 (max
 * abs over every dimension of the normalised vectors); import-onnx gives the merged weights back bit
 * for bit.
 */
class OnnxExportFineTunedTest {
    /** float32 against float32 through other kernels and another summation order. */
    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;
    static Path base, adapter, merged, exported;
    static List<String> texts;
    static float[][] expected;

    @BeforeAll
    static void exportOnce() throws Exception {
        base = ExportFixtures.tinyBert(dir.resolve("base"), 7);
        adapter = dir.resolve("adapter");
        LoraModel lora = ExportFixtures.adapters(adapter, ModelDirectory.read(base).config(), base.toString(), 11);
        merged = dir.resolve("merged");
        LoraMerge.writeMerged(base, lora, merged);
        exported = dir.resolve("onnx");
        OnnxExporter.Result r = OnnxExporter.export(adapter, exported, OnnxExporter.Options.DEFAULT.withPoolingInGraph(true));
        assertEquals(adapter, r.mergedAdapter());
        texts = ExportFixtures.jargonTexts(1000, ExportFixtures.MAX_SEQ_LENGTH);
        expected = Embedder.load(merged, new Embedder.Options(16, null, null)).encode(texts);
    }

    @Test
    void onnxRuntimeGivesTheEmbeddersVectors() throws Exception {
        Tokenizer tok = Tokenizer.fromFile(exported.resolve("tokenizer.json"))
                .withTruncation(Truncation.of(ExportFixtures.MAX_SEQ_LENGTH)).withPadding(Padding.longest());
        try (OrtRunner ort = new OrtRunner(exported.resolve("model.onnx"))) {
            assertEquals(java.util.Set.of("input_ids", "attention_mask", "token_type_ids"), ort.inputNames());
            assertEquals(List.of("last_hidden_state", "sentence_embedding"), ort.outputNames());
            float[][][] out = ort.embed(texts, tok, 7, PoolingConfig.Mode.MEAN, true);
            double inGraph = OrtRunner.maxAbsDiff(out[0], expected), pooledHere = OrtRunner.maxAbsDiff(out[1], expected);
            System.out.printf("fine-tuned tiny BERT, 1,000 texts: max |ORT - Embedder| sentence_embedding %.3g, "
                    + "last_hidden_state pooled %.3g%n", inGraph, pooledHere);
            assertTrue(inGraph <= TOLERANCE, "sentence_embedding: " + inGraph);
            assertTrue(pooledHere <= TOLERANCE, "last_hidden_state pooled: " + pooledHere);
        }
    }

    @Test
    void langchain4jGivesTheEmbeddersVectors() {
        OnnxEmbeddingModel model = new OnnxEmbeddingModel(exported.resolve("model.onnx"), exported.resolve("tokenizer.json"),
                PoolingMode.MEAN, Runnable::run);
        float[][] theirs = model.embedAll(texts.stream().map(TextSegment::from).toList()).content().stream()
                .map(e -> e.vector()).toArray(float[][]::new);
        double diff = OrtRunner.maxAbsDiff(theirs, expected);
        System.out.printf("fine-tuned tiny BERT, 1,000 texts: max |langchain4j - Embedder| %.3g%n", diff);
        assertTrue(diff <= TOLERANCE, "langchain4j: " + diff);
    }

    @Test
    void importOnnxGivesTheMergedWeightsBackBitForBit() throws Exception {
        Path imported = dir.resolve("imported");
        BertImport.files(exported.resolve("model.onnx"), exported.resolve("tokenizer.json"),
                new BertImport.Options(PoolingConfig.Mode.MEAN, true, ExportFixtures.MAX_SEQ_LENGTH, 512), imported);
        assertArrayEquals(Files.readAllBytes(merged.resolve("model.safetensors")), Files.readAllBytes(imported.resolve("model.safetensors")));
        assertEquals(ModelDirectory.read(merged).config(), ModelDirectory.read(imported).config());
    }
}
