package dev.embedtune.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.embed.LayerwiseEncoder;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Embedding forward of all-MiniLM-L6-v2, ours (SameDiff graph) against ONNX Runtime running the
 * original ONNX export on the same token ids with the same 2 threads. One op is one text.
 * <ul>
 *   <li>{@code *Batch32}: a fixed batch of 32 texts × {@code tokens} tokens (random ids, no padding;
 *       128 by default, as the PyTorch peer {@code pytorch_inference} of the suite).</li>
 *   <li>{@code *JargonPassages}: the first 128 passages of the shipped Jargon File set, tokenised
 *       (truncated at {@code maxTokens}, 256 by default), sorted by length and run 32 at a time;
 *       tokenisation is done in setup.</li>
 * </ul>
 * The suite's quick mode shrinks {@code tokens} and {@code maxTokens}; the texts per op stay.
 * Setup checks that both produce the same last_hidden_state (≤ 1e-4) on the 8 longest of the 128
 * passages (256 tokens at most) before anything is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
public class EmbeddingBenchmark {
    static final int BATCH = 32, PASSAGES = 128, CHECKED = 8;

    private BertEncoder ours;
    private LayerwiseEncoder layerwise, nf4;
    private OrtEnvironment env;
    private OrtSession ort;
    private Tokenizer tokenizer;
    private List<String> passages;   // the first PASSAGES, sorted by length

    /** The fixed batch: BATCH texts × {@code tokens} random ids, [CLS] … [SEP], no padding. */
    @State(Scope.Benchmark)
    public static class FixedBatch {
        @Param({"128"})
        public int tokens;
        int[][] ids, mask, types;   // [B, T]

        @Setup(Level.Trial)
        public void setUp() {
            Random random = new Random(42);
            ids = new int[BATCH][tokens];
            mask = new int[BATCH][tokens];
            types = new int[BATCH][tokens];
            for (int b = 0; b < BATCH; b++) {
                for (int t = 0; t < tokens; t++) {
                    ids[b][t] = t == 0 ? 101 : t == tokens - 1 ? 102 : 1000 + random.nextInt(29000);
                    mask[b][t] = 1;
                }
            }
        }
    }

    /** The Jargon passages, truncated at {@code maxTokens}, in batches of BATCH padded to their longest. */
    @State(Scope.Benchmark)
    public static class Passages {
        @Param({"256"})
        public int maxTokens;
        final List<BatchEncoding> batches = new ArrayList<>();

        @Setup(Level.Trial)
        public void setUp(EmbeddingBenchmark models) {
            Tokenizer tok = models.tokenizer.withTruncation(Truncation.of(maxTokens)).withPadding(Padding.longest());
            batches.clear();
            for (int s = 0; s < models.passages.size(); s += BATCH) {
                batches.add(tok.encodeBatch(models.passages.subList(s, Math.min(models.passages.size(), s + BATCH))));
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
        ModelDirectory md = ModelDirectory.read(dir);
        try (TensorSource w = md.openWeights()) {
            ours = BertEncoder.load(md.bertConfig(), w, dir);
        }
        try (TensorSource w = md.openWeights()) {
            layerwise = LayerwiseEncoder.load(md.bertConfig(), w, dir, BaseQuantization.NONE);
        }
        try (TensorSource w = md.openWeights()) {
            nf4 = LayerwiseEncoder.load(md.bertConfig(), w, dir, BaseQuantization.NF4);
        }
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
        options.setInterOpNumThreads(1);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(BuiltinModel.ALL_MINILM_L6_V2.onnxResource())) {
            ort = env.createSession(in.readAllBytes(), options);
        }
        tokenizer = Tokenizer.fromFile(md.tokenizerJson());
        passages = jargonPassages(PASSAGES);
        passages.sort(Comparator.comparingInt(String::length));
        checkAgreement();
    }

    static List<String> jargonPassages(int count) throws IOException {
        List<String> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = EmbeddingBenchmark.class.getClassLoader().getResourceAsStream("dev/embedtune/datasets/jargon.jsonl");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null && out.size() < count; ) {
                out.add(json.readTree(line).get("passage").asText());
            }
        }
        return out;
    }

    private void checkAgreement() throws OrtException {
        BatchEncoding b = tokenizer.withTruncation(Truncation.of(256)).withPadding(Padding.longest())
                .encodeBatch(passages.subList(passages.size() - CHECKED, passages.size()));   // the longest texts
        float[][][] theirs = runOrt(b.inputIds(), b.attentionMask(), b.tokenTypeIds());
        check(ours.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds()), theirs, b, "SameDiff");
        check(layerwise.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds()), theirs, b, "layer-by-layer");
    }

    private static void check(INDArray mine, float[][][] theirs, BatchEncoding b, String which) {
        double max = 0;
        for (int i = 0; i < theirs.length; i++) {
            for (int t = 0; t < theirs[i].length; t++) {
                if (b.attentionMask()[i][t] == 1) {
                    for (int h = 0; h < theirs[i][t].length; h++) {
                        max = Math.max(max, Math.abs(theirs[i][t][h] - mine.getFloat(i, t, h)));
                    }
                }
            }
        }
        if (!(max <= 1e-4)) {
            throw new IllegalStateException("ours (" + which + ") and ONNX Runtime disagree: max abs difference " + max);
        }
    }

    private float[][][] runOrt(int[][] ids, int[][] mask, int[][] types) throws OrtException {
        try (OnnxTensor i = OnnxTensor.createTensor(env, toLong(ids));
             OnnxTensor m = OnnxTensor.createTensor(env, toLong(mask));
             OnnxTensor t = OnnxTensor.createTensor(env, toLong(types));
             OrtSession.Result r = ort.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", t))) {
            return (float[][][]) r.get(0).getValue();
        }
    }

    private static long[][] toLong(int[][] a) {
        long[][] out = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new long[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                out[i][j] = a[i][j];
            }
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        ort.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public INDArray oursBatch32(FixedBatch b) {
        return ours.forward(b.ids, b.mask, b.types);
    }

    /** The layer-by-layer forward (the training step's, no adapters) over float32 weights. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public INDArray oursLayerwiseBatch32(FixedBatch b) {
        return layerwise.forward(b.ids, b.mask, b.types);
    }

    /** The same over NF4 weights (double-quantised, block 64), dequantised per GEMM. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public INDArray oursNf4Batch32(FixedBatch b) {
        return nf4.forward(b.ids, b.mask, b.types);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[][][] onnxRuntimeBatch32(FixedBatch b) throws OrtException {
        return runOrt(b.ids, b.mask, b.types);
    }

    @Benchmark
    @OperationsPerInvocation(PASSAGES)
    public int oursJargonPassages(Passages p) {
        int n = 0;
        for (BatchEncoding b : p.batches) {
            n += (int) ours.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds()).size(0);
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(PASSAGES)
    public int onnxRuntimeJargonPassages(Passages p) throws OrtException {
        int n = 0;
        for (BatchEncoding b : p.batches) {
            n += runOrt(b.inputIds(), b.attentionMask(), b.tokenTypeIds()).length;
        }
        return n;
    }
}
