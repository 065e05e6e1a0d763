package dev.embedtune.bench.suite;

import dev.embedtune.bench.JargonTrainingBatches;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files the Python peers read, made on first use into one temporary directory, so that the peers
 * run exactly the inputs of the JMH benchmarks: the argument placeholders
 * <ul>
 *   <li>{@code {model:ID}}: the built-in model's directory as embedtune imported it (a sentence-transformers
 *       directory, loaded by {@code SentenceTransformer} offline);</li>
 *   <li>{@code {tokenizer:ID}}: its tokenizer.json;</li>
 *   <li>{@code {onnx:ID}}: the ONNX export embedtune imported it from (the one the Java ONNX Runtime runs);</li>
 *   <li>{@code {jargon}}: the shipped Jargon File set (JSONL);</li>
 *   <li>{@code {jargon-batches}}: the main job's training batches ({@link JargonTrainingBatches}).</li>
 * </ul>
 */
final class PeerInputs implements UnaryOperator<String>, AutoCloseable {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z-]+)(?::([a-z0-9.-]+))?}");
    private final Map<String, String> made = new HashMap<>();
    private Path dir;

    @Override
    public String apply(String argument) {
        Matcher m = PLACEHOLDER.matcher(argument);
        if (!m.matches()) {
            return argument;
        }
        return made.computeIfAbsent(argument, a -> {
            try {
                return make(m.group(1), m.group(2)).toString();
            } catch (IOException e) {
                throw new UncheckedIOException("peer input " + argument + ": " + e.getMessage(), e);
            }
        });
    }

    private Path make(String kind, String id) throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("peer-inputs");
        }
        return switch (kind) {
            case "model" -> ModelCache.builtin(BuiltinModel.of(id));
            case "tokenizer" -> ModelCache.builtin(BuiltinModel.of(id)).resolve("tokenizer.json");
            case "onnx" -> copy(BuiltinModel.of(id).onnxResource(), dir.resolve(id + ".onnx"));
            case "jargon" -> copy(JargonTrainingBatches.RESOURCE, dir.resolve("jargon.jsonl"));
            case "jargon-batches" -> {
                Path file = dir.resolve("jargon-batches.json");
                JargonTrainingBatches.write(JargonTrainingBatches.build(), file);
                yield file;
            }
            default -> throw new IOException("unknown placeholder kind " + kind);
        };
    }

    private static Path copy(String resource, Path target) throws IOException {
        try (InputStream in = PeerInputs.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("classpath resource " + resource + " missing");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    @Override
    public void close() {
        PythonPeer.deleteQuietly(dir);
    }
}
