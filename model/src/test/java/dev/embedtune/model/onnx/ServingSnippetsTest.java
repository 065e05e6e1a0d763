package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.embedtune.model.embed.Embedder;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's serving snippets, run on an exported model and compared with the Embedder (1e-5 max
 * abs); and the README shows exactly the code between the {@code README} markers below.
 */
class ServingSnippetsTest {
    private static final Path SOURCE = Path.of("src/test/java/dev/embedtune/model/onnx/ServingSnippetsTest.java");
    private static final Path README = Path.of("../README.md");

    @TempDir
    static Path tmp;
    static Path exported;
    static float[][] expected;

    @BeforeAll
    static void export() throws Exception {
        Path model = ExportFixtures.tinyBert(tmp.resolve("model"), 9);
        exported = OnnxExporter.export(model, tmp.resolve("onnx"), OnnxExporter.Options.DEFAULT.withPoolingInGraph(true))
                .directory();
        expected = Embedder.load(model).encode(List.of("hacker", "what is a kludge"));
    }

    @Test
    void langchain4j() {
        Path dir = exported;
        // README: langchain4j
        EmbeddingModel model = new OnnxEmbeddingModel(dir.resolve("model.onnx"), dir.resolve("tokenizer.json"),
                PoolingMode.MEAN);                                     // the model's pooling: MEAN, or CLS (bge)
        float[] vector = model.embed("what is a kludge").content().vector();   // normalised
        // README end
        assertTrue(OrtRunner.maxAbsDiff(new float[][] {vector}, new float[][] {expected[1]}) <= 1e-5);
    }

    @Test
    void onnxRuntime() throws Exception {
        Path dir = exported;
        // README: onnxruntime
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("padding", "true", "truncation", "true", "maxLength", "256"));   // max_seq_length
        Encoding[] batch = tokenizer.batchEncode(List.of("hacker", "what is a kludge"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][] vectors;                                             // one row per text, pooled and normalised
        try (OrtSession session = env.createSession(dir.resolve("model.onnx").toString());
             OnnxTensor ids = OnnxTensor.createTensor(env, Arrays.stream(batch).map(Encoding::getIds).toArray(long[][]::new));
             OnnxTensor mask = OnnxTensor.createTensor(env, Arrays.stream(batch).map(Encoding::getAttentionMask).toArray(long[][]::new));
             OnnxTensor types = OnnxTensor.createTensor(env, Arrays.stream(batch).map(Encoding::getTypeIds).toArray(long[][]::new));
             OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            vectors = (float[][]) result.get("sentence_embedding").get().getValue();
        }
        // README end
        assertTrue(OrtRunner.maxAbsDiff(vectors, expected) <= 1e-5);
    }

    @Test
    void theReadmeShowsTheTestedCode() throws Exception {
        String readme = String.join("\n", Files.readAllLines(README).stream().map(String::strip).toList());
        List<String> source = Files.readAllLines(SOURCE);
        int regions = 0;
        for (int i = 0; i < source.size(); i++) {
            if (source.get(i).strip().startsWith("// README: ")) {
                List<String> lines = new ArrayList<>();
                for (int j = i + 1; !source.get(j).strip().equals("// README end"); j++) {
                    lines.add(source.get(j).strip());
                }
                String snippet = String.join("\n", lines);
                assertTrue(readme.contains(snippet), "README.md should show, line for line:\n" + snippet);
                regions++;
            }
        }
        assertEquals(2, regions);
    }
}
