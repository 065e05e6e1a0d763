package dev.embedtune.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.bert.BertEncoder;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Embedding forward of all-MiniLM-L6-v2, ours (SameDiff graph) against ONNX Runtime running the
 * original ONNX export on the same token ids with the same 2 threads. One op is one text.
 * <ul>
 *   <li>{@code *Batch32x128}: a fixed batch of 32 texts × 128 tokens (random ids, no padding).</li>
 *   <li>{@code *JargonPassages}: the first 128 passages of the shipped Jargon File set, tokenised
 *       (truncated at 256), sorted by length and run 32 at a time; tokenisation is done in setup.</li>
 * </ul>
 * Setup checks that both produce the same last_hidden_state (≤ 1e-4) before anything is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
public class EmbeddingBenchmark {
    static final int BATCH = 32, TOKENS = 128, PASSAGES = 128;

    private BertEncoder ours;
    private OrtEnvironment env;
    private OrtSession ort;
    private int[][] fixedIds, fixedMask, fixedTypes;
    private final List<BatchEncoding> passageBatches = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
        ModelDirectory md = ModelDirectory.read(dir);
        try (TensorSource w = md.openWeights()) {
            ours = BertEncoder.load(md.bertConfig(), w, dir);
        }
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
        options.setInterOpNumThreads(1);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(BuiltinModel.ALL_MINILM_L6_V2.onnxResource())) {
            ort = env.createSession(in.readAllBytes(), options);
        }
        Random random = new Random(42);
        fixedIds = new int[BATCH][TOKENS];
        fixedMask = new int[BATCH][TOKENS];
        fixedTypes = new int[BATCH][TOKENS];
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < TOKENS; t++) {
                fixedIds[b][t] = t == 0 ? 101 : t == TOKENS - 1 ? 102 : 1000 + random.nextInt(29000);
                fixedMask[b][t] = 1;
            }
        }
        Tokenizer tok = Tokenizer.fromFile(md.tokenizerJson()).withTruncation(Truncation.of(256)).withPadding(Padding.longest());
        List<String> passages = jargonPassages(PASSAGES);
        passages.sort(Comparator.comparingInt(String::length));
        for (int s = 0; s < passages.size(); s += BATCH) {
            passageBatches.add(tok.encodeBatch(passages.subList(s, Math.min(passages.size(), s + BATCH))));
        }
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
        BatchEncoding b = passageBatches.get(passageBatches.size() - 1);   // the longest texts
        INDArray mine = ours.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds());
        float[][][] theirs = runOrt(b.inputIds(), b.attentionMask(), b.tokenTypeIds());
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
            throw new IllegalStateException("ours and ONNX Runtime disagree: max abs difference " + max);
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
    public INDArray oursBatch32x128() {
        return ours.forward(fixedIds, fixedMask, fixedTypes);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[][][] onnxRuntimeBatch32x128() throws OrtException {
        return runOrt(fixedIds, fixedMask, fixedTypes);
    }

    @Benchmark
    @OperationsPerInvocation(PASSAGES)
    public int oursJargonPassages() {
        int n = 0;
        for (BatchEncoding b : passageBatches) {
            n += (int) ours.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds()).size(0);
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(PASSAGES)
    public int onnxRuntimeJargonPassages() throws OrtException {
        int n = 0;
        for (BatchEncoding b : passageBatches) {
            n += runOrt(b.inputIds(), b.attentionMask(), b.tokenTypeIds()).length;
        }
        return n;
    }
}
