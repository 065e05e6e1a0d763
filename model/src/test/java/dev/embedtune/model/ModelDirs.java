package dev.embedtune.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.safetensors.Safetensors;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** Copies of the built-in models to break on purpose in tests. */
public final class ModelDirs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelDirs() {
    }

    /** The cached all-MiniLM-L6-v2 import (imported on first use). */
    public static Path minilm() throws IOException {
        return ModelCache.resolve("builtin:all-minilm-l6-v2");
    }

    /**
     * A copy of {@code source} in {@code target}; model.safetensors is a symbolic link to the original
     * unless {@code copyWeights} (then it may be rewritten).
     */
    public static Path copy(Path source, Path target, boolean copyWeights) throws IOException {
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path p : walk.toList()) {
                Path rel = source.relativize(p);
                if (rel.toString().startsWith(".embedtune")) {
                    continue;
                }
                Path dest = target.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else if (!copyWeights && rel.toString().equals(Safetensors.SINGLE)) {
                    Files.createSymbolicLink(dest, p.toAbsolutePath());
                } else {
                    Files.copy(p, dest);
                }
            }
        }
        return target;
    }

    /** Rewrites a JSON object file in place. */
    public static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(root);
        Files.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** Rewrites model.safetensors of {@code dir} with {@code tensor}'s values changed by {@code edit}. */
    public static void editTensor(Path dir, String tensor, UnaryOperator<float[]> edit) throws IOException {
        Path file = dir.resolve(Safetensors.SINGLE);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                float[] values = f.getFloats(name);
                w.addFloats(name, name.equals(tensor) ? edit.apply(values) : values, f.info(name).shape());
            }
        }
        w.write(file);
    }
}
