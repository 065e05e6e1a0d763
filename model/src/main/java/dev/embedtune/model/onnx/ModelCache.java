package dev.embedtune.model.onnx;

import dev.embedtune.model.ModelFormatException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where imported built-in models live: {@code <home>/models/<name>}, with home the system property
 * {@code embedtune.home}, else the environment variable {@code EMBEDTUNE_HOME}, else
 * {@code ~/.cache/embedtune}. A built-in model is imported on first use and reused after; an
 * import holds a file lock, so processes racing to import the same model import it once.
 */
public final class ModelCache {
    /** Written last into an imported directory: a directory without it is an interrupted import. */
    static final String COMPLETE_MARKER = ".embedtune-imported";
    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);

    private ModelCache() {
    }

    public static Path home() {
        String prop = System.getProperty("embedtune.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("EMBEDTUNE_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "embedtune");
    }

    /**
     * A model directory for {@code spec}: {@code builtin:NAME} (imported into the cache if needed) or
     * the path of a directory.
     *
     * @throws ModelFormatException when a path is not a directory
     * @throws IllegalArgumentException for an unknown built-in name (the message lists them)
     */
    public static Path resolve(String spec) throws IOException {
        if (BuiltinModel.isBuiltin(spec)) {
            return builtin(BuiltinModel.of(spec));
        }
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir, "not a model directory (or use builtin:"
                    + BuiltinModel.ALL_MINILM_L6_V2.id() + " / builtin:" + BuiltinModel.BGE_SMALL_EN_V15.id() + ")");
        }
        return dir;
    }

    /**
     * How a model directory is named to other tools ({@code base_model_name_or_path}, a model card's
     * base model): a cached built-in import by its Hugging Face Hub id (recorded in its import marker),
     * any other directory by the path as given.
     */
    public static String nameOrPath(Path modelDir) {
        Path marker = modelDir.resolve(COMPLETE_MARKER);
        if (Files.isRegularFile(marker)) {
            try {
                String origin = Files.readString(marker).strip();
                for (BuiltinModel m : BuiltinModel.values()) {
                    if (m.origin().equals(origin)) {
                        return origin;
                    }
                }
            } catch (IOException e) {
                // an unreadable marker names nothing: fall back to the path
            }
        }
        return modelDir.toString();
    }

    /** The cached import of a built-in model, importing it first if absent. */
    public static Path builtin(BuiltinModel model) throws IOException {
        Path models = home().resolve("models");
        Path dir = models.resolve(model.id());
        if (Files.isRegularFile(dir.resolve(COMPLETE_MARKER))) {
            return dir;
        }
        Files.createDirectories(models);
        try (FileChannel lockFile = FileChannel.open(models.resolve("." + model.id() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            if (!Files.isRegularFile(dir.resolve(COMPLETE_MARKER))) {   // another process may have finished meanwhile
                LOG.info("importing {}{} ({}) into {}", BuiltinModel.PREFIX, model.id(), model.origin(), dir);
                BertImport.builtin(model, dir);
                Files.writeString(dir.resolve(COMPLETE_MARKER), model.origin() + "\n");
            }
        }
        return dir;
    }
}
