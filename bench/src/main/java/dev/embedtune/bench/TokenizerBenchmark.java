package dev.embedtune.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.tokenizer.Encoding;
import dev.embedtune.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Encoding every passage of ../shared/data/jargon.jsonl and foldoc.jsonl (13,526 texts) with a
 * built-in BERT tokenizer: ours against Hugging Face's Rust tokenizer through DJL, single-threaded
 * (one {@code encode} call per text) and on all cores ({@code encodeBatch} / DJL's
 * {@code batchEncode}, which uses rayon). One operation = the whole set; texts/s = ops/s × 13,526.
 * Both sides add special tokens, neither truncates nor pads. {@link #setup} first checks that
 * both give identical ids for every passage and refuses to time otherwise. {@code passageLimit}
 * (0 = all) shrinks the set for the suite's quick mode.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TokenizerBenchmark {
    static {
        System.setProperty("offline", "true"); // DJL: native library from the jar, no downloads
    }

    @Param({"all-minilm-l6-v2-tokenizer.json"})
    public String tokenizer;

    /** Encode only the first this many passages (0 = all); the suite's quick mode sets it. */
    @Param({"0"})
    public int passageLimit;

    private Tokenizer ours;
    private HuggingFaceTokenizer djl;
    private List<String> passages;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        String shared = System.getProperty("embedtune.shared", "../shared");
        passages = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        if (Files.exists(Path.of(shared, "data", "foldoc.jsonl"))) {
            for (String f : List.of("jargon.jsonl", "foldoc.jsonl")) {
                Path p = Path.of(shared, "data", f);
                try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = r.readLine()) != null) if (!line.isBlank()) passages.add(m.readTree(line).get("passage").textValue());
                }
            }
        } else {
            // A clone without ../shared: the Jargon File passages shipped with the project (2,164 of the 13,526).
            System.err.println("TokenizerBenchmark: " + Path.of(shared, "data").toAbsolutePath()
                    + " absent; using the shipped Jargon File passages only");
            passages.addAll(EmbeddingCorpusBenchmark.allJargonPassages());
        }
        if (passageLimit > 0 && passageLimit < passages.size()) {
            passages = new ArrayList<>(passages.subList(0, passageLimit));
        }
        String json;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(tokenizer)) {
            if (in == null) throw new IllegalStateException("classpath resource " + tokenizer + " not found");
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ours = Tokenizer.fromJson(json, tokenizer);
        Path dir = Files.createTempDirectory("bench-tok");
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        djl = HuggingFaceTokenizer.builder().optTokenizerPath(file).optTruncation(false).optPadding(false)
                .optAddSpecialTokens(true).build();
        Files.delete(file);
        Files.delete(dir);
        // Correctness before speed: identical ids for every passage.
        ai.djl.huggingface.tokenizers.Encoding[] expected = djl.batchEncode(passages);
        List<Encoding> actual = ours.encodeBatch(passages).encodings();
        for (int i = 0; i < passages.size(); i++) {
            long[] a = Arrays.stream(actual.get(i).ids()).asLongStream().toArray();
            if (!Arrays.equals(expected[i].getIds(), a)) {
                throw new IllegalStateException("ours and DJL disagree on passage " + i + "; not timing a wrong tokenizer");
            }
        }
        System.err.printf("%n%s: %,d passages, ids identical to DJL%n", tokenizer, passages.size());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        djl.close();
    }

    @Benchmark
    public void oursSingleThread(Blackhole bh) {
        for (String p : passages) bh.consume(ours.encode(p));
    }

    @Benchmark
    public void djlSingleThread(Blackhole bh) {
        for (String p : passages) bh.consume(djl.encode(p));
    }

    @Benchmark
    public void oursAllCores(Blackhole bh) {
        bh.consume(ours.encodeBatch(passages));
    }

    @Benchmark
    public void djlAllCores(Blackhole bh) {
        bh.consume(djl.batchEncode(passages));
    }
}
