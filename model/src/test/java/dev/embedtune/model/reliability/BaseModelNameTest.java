package dev.embedtune.model.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.embedtune.model.ModelDirs;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15 item 13: base_model_name_or_path is the Hub id of a built-in, else the path as the user gave it. */
class BaseModelNameTest {

    @TempDir
    Path dir;

    @Test
    void aBuiltinIsNamedByItsHubId() throws IOException {
        assertEquals("sentence-transformers/all-MiniLM-L6-v2", ModelCache.nameOrPath(ModelDirs.minilm()));
        assertEquals(BuiltinModel.ALL_MINILM_L6_V2.origin(), ModelCache.nameOrPath(ModelCache.resolve("builtin:all-minilm-l6-v2")));
    }

    @Test
    void anyOtherDirectoryIsNamedByThePathAsGiven() throws IOException {
        Path copy = ModelDirs.copy(ModelDirs.minilm(), dir.resolve("my-model"), false);
        assertEquals(copy.toString(), ModelCache.nameOrPath(copy));
        Path relative = Path.of("models/../models/mine");
        assertEquals("models/../models/mine", ModelCache.nameOrPath(relative), "not made absolute, not resolved");
        // a marker that names no built-in does not make a directory one
        Files.writeString(copy.resolve(".embedtune-imported"), "someone/else\n");
        assertEquals(copy.toString(), ModelCache.nameOrPath(copy));
    }
}
