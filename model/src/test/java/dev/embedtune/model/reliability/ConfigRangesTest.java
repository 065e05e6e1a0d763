package dev.embedtune.model.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelDirs;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.ModelConfigs;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 1 (other paths to native code): config values that would size native arrays, divide
 * by zero or make every output NaN are errors naming the file and field.
 */
class ConfigRangesTest {

    @TempDir
    Path dir;

    private static final String BERT = "{\"model_type\":\"bert\",\"vocab_size\":10,\"hidden_size\":8,\"num_hidden_layers\":1,"
            + "\"num_attention_heads\":2,\"intermediate_size\":16}";

    private void assertRejected(String edit, Consumer<ObjectNode> change, String... parts) throws IOException {
        Path config = dir.resolve("config.json");
        Files.writeString(config, BERT);
        ModelDirs.editJson(config, change);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfigs.read(config), edit);
        assertTrue(e.getMessage().startsWith(config.toString()), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), edit + ": expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void badSizesRatesAndActivationsAreNamed() throws IOException {
        ModelConfigs.read(Files.writeString(dir.resolve("config.json"), BERT));   // the base case is valid
        assertRejected("no heads", c -> c.put("num_attention_heads", 0), "num_attention_heads", "at least 1", "0");
        assertRejected("negative vocabulary", c -> c.put("vocab_size", -5), "vocab_size", "-5");
        assertRejected("no token types", c -> c.put("type_vocab_size", 0), "type_vocab_size");
        assertRejected("no positions", c -> c.put("max_position_embeddings", 0), "max_position_embeddings");
        assertRejected("negative epsilon", c -> c.put("layer_norm_eps", -1e-12), "layer_norm_eps");
        assertRejected("dropout 1.5", c -> c.put("hidden_dropout_prob", 1.5), "hidden_dropout_prob", "[0, 1)");
        assertRejected("relu", c -> c.put("hidden_act", "relu"), "hidden_act", "\"relu\"", "gelu");
    }

    @Test
    void modernBertChecksItsOwnFields() throws IOException {
        String modern = "{\"model_type\":\"modernbert\",\"vocab_size\":50,\"hidden_size\":32,\"intermediate_size\":48,"
                + "\"num_hidden_layers\":3,\"num_attention_heads\":4,\"norm_eps\":0}";
        Path config = Files.writeString(dir.resolve("config.json"), modern);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfigs.read(config));
        assertTrue(e.getMessage().contains("norm_eps"), e.getMessage());
        // an odd head dimension (36 / 4 = 9) cannot be rotated
        Files.writeString(config, modern.replace("\"hidden_size\":32", "\"hidden_size\":36").replace(",\"norm_eps\":0", ""));
        e = assertThrows(ModelFormatException.class, () -> ModelConfigs.read(config));
        assertTrue(e.getMessage().contains("head dimension") && e.getMessage().contains("9"), e.getMessage());
    }

    @Test
    void sentenceTransformersSettingsOutOfRangeAreNamed() throws IOException {
        Path model = ModelDirs.copy(ModelDirs.minilm(), dir.resolve("m"), false);
        ModelDirs.editJson(model.resolve("sentence_bert_config.json"), c -> c.put("max_seq_length", 0));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelDirectory.read(model));
        assertTrue(e.getMessage().contains("sentence_bert_config.json") && e.getMessage().contains("max_seq_length"),
                e.getMessage());
        ModelDirs.editJson(model.resolve("sentence_bert_config.json"), c -> c.put("max_seq_length", 256));
        ModelDirs.editJson(model.resolve("config_sentence_transformers.json"), c -> c.put("truncate_dim", 999));
        e = assertThrows(ModelFormatException.class, () -> ModelDirectory.read(model));
        assertTrue(e.getMessage().contains("config_sentence_transformers.json") && e.getMessage().contains("999")
                && e.getMessage().contains("384"), e.getMessage());
    }
}
