package dev.embedtune.model.st;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.EmbedtuneVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which program wrote a file, and which layout it follows. Hugging Face's files name the library
 * versions that wrote them; embedtune keeps the key each reader looks at as the version of the layout
 * it follows, and names itself beside it:
 * <ul>
 *   <li>config.json: {@code transformers_version} is the layout (4.41.2 for BERT, 4.48.0 for
 *       ModernBERT; transformers 5 reads it, e.g. to choose tokenizer fixes, and a missing one makes
 *       it warn about Mistral regexes), {@code embedtune_version} the writer (transformers keeps unknown
 *       keys as attributes, silently);</li>
 *   <li>config_sentence_transformers.json: {@code __version__} holds {@code sentence_transformers} (the
 *       layout; sentence-transformers 6 only warns when it is newer than itself) and {@code embedtune};
 *       the {@code transformers} and {@code pytorch} entries sentence-transformers writes are left out,
 *       since neither ran.</li>
 * </ul>
 */
public final class VersionStamps {
    /** The sentence-transformers version whose layout embedtune writes. */
    public static final String ST_LAYOUT = "3.0.1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private VersionStamps() {
    }

    /** config.json with {@code embedtune_version} set (its other keys, transformers_version included, as given). */
    public static ObjectNode configJson(ObjectNode config) {
        config.put("embedtune_version", EmbedtuneVersion.get());
        return config;
    }

    /** config_sentence_transformers.json with {@code __version__} naming the layout followed and embedtune. */
    public static ObjectNode sentenceTransformersJson(ObjectNode settings) {
        JsonNode old = settings.path("__version__").path("sentence_transformers");
        String layout = old.isTextual() ? old.textValue() : ST_LAYOUT;
        ObjectNode version = JSON.createObjectNode();
        version.put("sentence_transformers", layout);
        version.put("embedtune", EmbedtuneVersion.get());
        settings.set("__version__", version);
        return settings;
    }

    /**
     * Stamps a model directory embedtune rewrote (a merged copy of a base model): config.json in
     * {@code transformerDir} and config_sentence_transformers.json in {@code dir}, where present.
     */
    public static void stampDirectory(Path dir, Path transformerDir) throws IOException {
        Path config = transformerDir.resolve("config.json");
        if (Files.isRegularFile(config) && JSON.readTree(config.toFile()) instanceof ObjectNode c) {
            AtomicFiles.write(config, JSON.writeValueAsBytes(configJson(c)));
        }
        Path st = dir.resolve("config_sentence_transformers.json");
        if (Files.isRegularFile(st) && JSON.readTree(st.toFile()) instanceof ObjectNode s) {
            AtomicFiles.write(st, JSON.writeValueAsBytes(sentenceTransformersJson(s)));
        }
    }
}
