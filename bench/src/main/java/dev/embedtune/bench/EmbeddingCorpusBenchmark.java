package dev.embedtune.bench;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Embedding every distinct passage of the shipped Jargon File set (2,163 texts), as a user embeds a
 * corpus: {@code Embedder.encode(all)} with max length {@code maxTokens} (256) and batch 32 — it sorts
 * the texts longest first by characters and pads each batch to its longest, as
 * {@code SentenceTransformer.encode} does (the peer {@code st_encode_jargon}) — against ONNX Runtime
 * (Java, {@link OrtModel}) given the same batches (same order, same truncation, padded per batch as
 * ONNX Runtime users do; tokenised in setup, so ONNX Runtime's figure has no tokenisation and no
 * pooling). One op is one pass over the corpus; the auxiliary counter {@code items} (texts/s) is the
 * suite's throughput, {@code realTokens} the rate of real (unpadded) tokens. A pass lasts tens of
 * seconds, so the suite runs these with one warm-up and two measured passes (see SuiteRunner).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class EmbeddingCorpusBenchmark {
    static final int BATCH = 32;

    @Param({"all-minilm-l6-v2", "bge-small-en-v1.5"})
    public String model;

    @Param({"256"})
    public int maxTokens;

    /** Passages used (0 = every distinct passage); quick mode takes a few. */
    @Param({"0"})
    public int corpusLimit;

    private Embedder embedder;
    private OrtModel ort;
    private List<String> passages;
    private final List<long[][][]> ortBatches = new ArrayList<>();
    private long realTokens;

    /** Texts and real tokens embedded, as rates. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Items {
        public long items;
        public long realTokens;

        @Setup(Level.Iteration)
        public void reset() {
            items = 0;
            realTokens = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        BuiltinModel builtin = BuiltinModel.of(model);
        Path dir = ModelCache.builtin(builtin);
        embedder = Embedder.load(dir, new Embedder.Options(BATCH, maxTokens, null));
        ort = new OrtModel(builtin);
        passages = jargonPassages(corpusLimit);
        // The batches Embedder (and sentence-transformers) make: longest first by characters, 32 a batch.
        List<String> sorted = new ArrayList<>(passages);
        sorted.sort(Comparator.comparingInt((String s) -> -s.length()));
        Tokenizer tokenizer = Embedder.tokenizer(ModelDirectory.read(dir), maxTokens);
        realTokens = 0;
        for (int s = 0; s < sorted.size(); s += BATCH) {
            BatchEncoding b = tokenizer.encodeBatch(sorted.subList(s, Math.min(sorted.size(), s + BATCH)));
            ortBatches.add(new long[][][] {OrtModel.toLong(b.inputIds()), OrtModel.toLong(b.attentionMask()),
                    OrtModel.toLong(b.tokenTypeIds())});
            for (int[] row : b.attentionMask()) {
                for (int m : row) {
                    realTokens += m;
                }
            }
        }
    }

    /** Distinct passages of the shipped Jargon File set in file order (the first {@code limit}, 0 = all). */
    static List<String> jargonPassages(int limit) throws IOException {
        return jargonPassages(limit, new LinkedHashSet<>());
    }

    /** Every record's passage of the shipped Jargon File set, duplicates included (2,164). */
    static List<String> allJargonPassages() throws IOException {
        return jargonPassages(0, new ArrayList<>());
    }

    private static List<String> jargonPassages(int limit, java.util.Collection<String> out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = EmbeddingCorpusBenchmark.class.getClassLoader().getResourceAsStream(JargonTrainingBatches.RESOURCE);
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null && (limit <= 0 || out.size() < limit); ) {
                if (!line.isBlank()) {
                    out.add(json.readTree(line).get("passage").asText());
                }
            }
        }
        return new ArrayList<>(out);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        ort.close();
    }

    @Benchmark
    public float[][] embedderJargon(Items counters) {
        float[][] vectors = embedder.encode(passages);
        counters.items += passages.size();
        counters.realTokens += realTokens;
        return vectors;
    }

    @Benchmark
    public int onnxRuntimeJargon(Items counters) throws OrtException {
        int n = 0;
        for (long[][][] b : ortBatches) {
            n += ort.run(b[0], b[1], b[2]).length;
        }
        counters.items += n;
        counters.realTokens += realTokens;
        return n;
    }
}
