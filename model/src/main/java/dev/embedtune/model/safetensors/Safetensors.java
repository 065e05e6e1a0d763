package dev.embedtune.model.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the weights of a model directory, single-file or sharded. */
public final class Safetensors {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private Safetensors() {
    }

    /**
     * {@code dir/model.safetensors}, else the shards named by {@code dir/model.safetensors.index.json}.
     *
     * @throws SafetensorsException naming the directory and both file names when neither exists
     */
    public static TensorSource openModel(Path dir) throws IOException {
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.open(single);
        }
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return ShardedSafetensors.open(index);
        }
        throw new SafetensorsException(dir, "no weights: looked for " + SINGLE + " and " + INDEX);
    }
}
