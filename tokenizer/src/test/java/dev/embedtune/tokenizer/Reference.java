package dev.embedtune.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The reference implementation: Hugging Face's Rust tokenizers through DJL
 * ({@code ai.djl.huggingface:tokenizers}, native library inside the jar, run offline), plus
 * helpers to load the built-in tokenizer.json files and stream the shared datasets.
 */
final class Reference {
    static {
        // DJL must never reach for the network: the native library comes from the jar.
        System.setProperty("offline", "true");
        System.setProperty("ai.djl.offline", "true");
    }

    static final String MINILM = "all-minilm-l6-v2-tokenizer.json";
    static final String BGE = "bge-small-en-v1.5-tokenizer.json";

    private Reference() {}

    static String resource(String name) {
        try (InputStream in = Reference.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("classpath resource " + name + " not found");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** DJL on the given tokenizer.json, with the file's truncation and padding switched off. */
    static HuggingFaceTokenizer djl(String tokenizerJson) {
        return djl(tokenizerJson, -1);
    }

    /** DJL truncating (longest_first) at {@code maxLength} when it is positive. */
    static HuggingFaceTokenizer djl(String tokenizerJson, int maxLength) {
        try {
            Path dir = Files.createTempDirectory("djl-tok");
            Path file = dir.resolve("tokenizer.json");
            Files.writeString(file, tokenizerJson);
            HuggingFaceTokenizer.Builder b = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                    .optPadding(false).optAddSpecialTokens(true);
            if (maxLength > 0) b.optTruncation(true).optMaxLength(maxLength);
            else b.optTruncation(false);
            HuggingFaceTokenizer t = b.build();
            file.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ../shared/data, or a skipped test when this checkout has none. */
    static Path sharedData() {
        String shared = System.getProperty("embedtune.shared");
        Path dir = shared == null ? null : Path.of(shared, "data");
        Assumptions.assumeTrue(dir != null && Files.isDirectory(dir),
                "shared data not found (system property embedtune.shared=" + shared + "); skipping the dataset comparison");
        return dir;
    }

    /** Streams the {@code query} and {@code passage} of every line of a JSONL file. */
    static void forEachText(Path jsonl, Consumer<String> sink) {
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode n = mapper.readTree(line);
                for (String field : List.of("query", "passage")) {
                    JsonNode v = n.get(field);
                    if (v == null || !v.isTextual()) throw new IllegalStateException(jsonl + ":" + lineNo + ": no text field " + field);
                    sink.accept(v.textValue());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> datasets(Path dataDir) {
        List<Path> out = new ArrayList<>();
        for (String f : List.of("jargon.jsonl", "foldoc.jsonl", "wordnet.jsonl")) {
            Path p = dataDir.resolve(f);
            if (!Files.exists(p)) throw new IllegalStateException("missing dataset " + p);
            out.add(p);
        }
        return out;
    }

    static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }
}
