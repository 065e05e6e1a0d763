package dev.embedtune.model.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelDirs;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.bert.BertWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.embed.LayerwiseEncoder;
import dev.embedtune.model.training.BaseQuantization;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15 item 1: ids a tokenizer emits that the model's tables do not have are an error, never a native crash. */
class TokenIdBoundsTest {

    @TempDir
    Path dir;

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void aVocabularyIdBeyondTheEmbeddingTableIsAnErrorAtLoad() throws IOException {
        // The reproduction: "zzzzz": 99999 in model.vocab, then embed "zzzzz" (SIGSEGV before).
        Path model = ModelDirs.copy(ModelDirs.minilm(), dir.resolve("minilm"), false);
        ModelDirs.editJson(model.resolve("tokenizer.json"),
                root -> ((ObjectNode) root.with("model").with("vocab")).put("zzzzz", 99999));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Embedder.load(model).encode(List.of("zzzzz")));
        assertMentions(e, model.resolve("tokenizer.json").toString(), "\"zzzzz\"", "99999", "30522",
                model.resolve("config.json").toString());
    }

    @Test
    void aTypeIdBeyondTheTokenTypeTableIsAnErrorAtLoad() throws IOException {
        Path model = ModelDirs.copy(ModelDirs.minilm(), dir.resolve("minilm"), false);
        ModelDirs.editJson(model.resolve("tokenizer.json"), root -> ((ObjectNode) root.with("post_processor")
                .withArray("single").get(1).get("Sequence")).put("type_id", 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Embedder.load(model));
        assertMentions(e, model.resolve("tokenizer.json").toString(), "token type id 2", "2 rows", "type_vocab_size");
    }

    /** A 2-layer BERT with 40 ids, 32 positions and 2 token types, random weights. */
    private static final BertConfig TINY = new BertConfig(40, 32, 2, 4, 48, "gelu", 0, 0, 32, 2, 0.02, 1e-12, 0);

    private static Map<String, INDArray> tinyWeights() {
        Nd4j.getRandom().setSeed(7);
        Map<String, INDArray> w = new HashMap<>();
        for (String name : BertWeights.names(TINY)) {
            w.put(name, Nd4j.randn(DataType.FLOAT, BertWeights.shape(TINY, name)).muli(0.1));
        }
        return w;
    }

    @Test
    void everyGatherChecksItsIndicesFirst() {
        // Ids that did not come through a checked tokenizer (the encoders are public): each lookup
        // (word, token type) is checked in Java before the native gather.
        LayerwiseEncoder layerwise = new LayerwiseEncoder(TINY, tinyWeights(), BaseQuantization.NONE);
        BertEncoder graph = BertEncoder.fromWeights(TINY, tinyWeights());
        int[][] mask = {{1, 1, 1}};
        int[][] types = {{0, 0, 0}};
        for (var encoder : List.<dev.embedtune.model.Encoder>of(layerwise, graph)) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> encoder.forward(new int[][] {{1, 40, 2}}, mask, types));
            assertMentions(e, "index 40", "40 rows");
            e = assertThrows(IndexOutOfBoundsException.class, () -> encoder.forward(new int[][] {{1, -3, 2}}, mask, types));
            assertMentions(e, "index -3");
            e = assertThrows(IndexOutOfBoundsException.class,
                    () -> encoder.forward(new int[][] {{1, 3, 2}}, mask, new int[][] {{0, 2, 0}}));
            assertMentions(e, "index 2", "2 rows");
            // in range: runs
            assertTrue(encoder.forward(new int[][] {{1, 39, 2}}, mask, types).length() == 3 * 32);
        }
    }
}
