package dev.embedtune.bench;

import ai.onnxruntime.OrtException;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.embed.LayerwiseEncoder;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
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
 * Inference on all-MiniLM-L6-v2, one batch of 32 texts × {@code tokens} tokens (128 by default; no
 * padding), against ONNX Runtime (Java, see {@link OrtModel}) on the same ids in the same run. One op
 * is one text.
 * <ul>
 *   <li>{@code embedderBatch32}: the public API, {@code Embedder.encode} of 32 texts that tokenise to
 *       exactly {@code tokens} tokens ({@link ExactLengthTexts}): tokenisation, the layer-by-layer
 *       forward, mean pooling, normalisation — what {@code SentenceTransformer.encode} does (the peer
 *       {@code st_encode_batch32}).</li>
 *   <li>{@code oursLayerwiseBatch32} / {@code oursNf4Batch32}: the encoder Embedder runs, alone, on
 *       random ids, over float32 or NF4 weights.</li>
 *   <li>{@code onnxRuntimeBatch32}: ONNX Runtime's session.run on the same random ids (to
 *       last_hidden_state; no tokenisation, no pooling).</li>
 * </ul>
 * The suite's quick mode shrinks {@code tokens}. Setup checks that the layer-by-layer forward and ONNX
 * Runtime agree (≤ 1e-4 on last_hidden_state) on the fixed batch before anything is timed.
 * Whole-corpus rows are in {@link EmbeddingCorpusBenchmark}, calling threads in
 * {@link EmbedderThreadsBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class EmbeddingBenchmark {
    static final int BATCH = 32;

    @Param({"128"})
    public int tokens;

    private Embedder embedder;
    private LayerwiseEncoder layerwise, nf4;
    private OrtModel ort;
    private int[][] ids, mask, types;
    private long[][] ortIds, ortMask, ortTypes;
    private List<String> texts;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
        ModelDirectory md = ModelDirectory.read(dir);
        try (TensorSource w = md.openWeights()) {
            layerwise = LayerwiseEncoder.load(md.config(), w, md.transformerDir(), BaseQuantization.NONE);
        }
        try (TensorSource w = md.openWeights()) {
            nf4 = LayerwiseEncoder.load(md.config(), w, md.transformerDir(), BaseQuantization.parse("nf4"));
        }
        embedder = Embedder.load(dir, new Embedder.Options(BATCH, tokens, null));
        ort = new OrtModel(BuiltinModel.ALL_MINILM_L6_V2);
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
        ortIds = OrtModel.toLong(ids);
        ortMask = OrtModel.toLong(mask);
        ortTypes = OrtModel.toLong(types);
        Tokenizer tokenizer = Embedder.tokenizer(md, tokens);
        texts = ExactLengthTexts.of(tokenizer, BATCH, tokens, 42);
        BatchEncoding check = tokenizer.encodeBatch(texts);
        if (check.inputIds()[0].length != tokens) {
            throw new IllegalStateException("the batch's texts tokenise to " + check.inputIds()[0].length + " tokens, expected " + tokens);
        }
        checkAgreement();
    }

    private void checkAgreement() throws OrtException {
        float[][][] theirs = ort.run(ortIds, ortMask, ortTypes);
        INDArray mine = layerwise.forward(ids, mask, types);
        double max = 0;
        for (int i = 0; i < theirs.length; i++) {
            for (int t = 0; t < theirs[i].length; t++) {
                for (int h = 0; h < theirs[i][t].length; h++) {
                    max = Math.max(max, Math.abs(theirs[i][t][h] - mine.getFloat(i, t, h)));
                }
            }
        }
        if (!(max <= 1e-4)) {
            throw new IllegalStateException("the layer-by-layer forward and ONNX Runtime disagree: max abs difference " + max);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        ort.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[][] embedderBatch32() {
        return embedder.encode(texts);
    }

    /** The layer-by-layer forward (the training step's, no adapters) over float32 weights. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public INDArray oursLayerwiseBatch32() {
        return layerwise.forward(ids, mask, types);
    }

    /** The same over NF4 weights (double-quantised, block 64), dequantised per GEMM. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public INDArray oursNf4Batch32() {
        return nf4.forward(ids, mask, types);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public float[][][] onnxRuntimeBatch32() throws OrtException {
        return ort.run(ortIds, ortMask, ortTypes);
    }
}
