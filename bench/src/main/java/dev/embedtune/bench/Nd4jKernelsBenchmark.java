package dev.embedtune.bench;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ND4J kernels one BERT layer spends its time in, at all-MiniLM-L6-v2 sizes with a batch of
 * 32 × 128 tokens (B·T = 4096, H = 384, FFN = 1536, 12 heads). Used to choose the nd4j-native
 * classifier (plain linux-x86_64, -avx2, -avx512): run it once per classifier, see
 * docs/BENCHMARKS.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class Nd4jKernelsBenchmark {
    private static final int TOKENS = 32 * 128, HIDDEN = 384, FFN = 1536;

    private INDArray activations;   // [B·T, H]
    private INDArray ffnWeight;     // [H, FFN]
    private INDArray ffnOut;        // [B·T, FFN]
    private INDArray scores;        // [B, heads, T, T]
    private INDArray scratch;       // [B·T, FFN]

    @Setup
    public void setUp() {
        Nd4j.getRandom().setSeed(42);
        activations = Nd4j.randn(DataType.FLOAT, TOKENS, HIDDEN);
        ffnWeight = Nd4j.randn(DataType.FLOAT, HIDDEN, FFN).muli(0.05);
        ffnOut = Nd4j.create(DataType.FLOAT, new long[] {TOKENS, FFN}, 'f');
        scores = Nd4j.randn(DataType.FLOAT, 32, 12, 128, 128);
        scratch = Nd4j.randn(DataType.FLOAT, TOKENS, FFN);
    }

    /** The intermediate dense GEMM: 4096×384 · 384×1536 (4.8 GFLOP). */
    @Benchmark
    public INDArray gemmFfn() {
        return Nd4j.gemm(activations, ffnWeight, ffnOut, false, false, 1.0, 0.0);
    }

    /** erf over the FFN activations (6.3 M floats): the core of exact GELU. */
    @Benchmark
    public INDArray erf() {
        return Nd4j.getExecutioner().exec(new Erf(scratch, ffnOut));
    }

    /** exp over 6.3 M floats. */
    @Benchmark
    public INDArray exp() {
        return Nd4j.getExecutioner().exec(new Exp(scratch, ffnOut));
    }

    /** Attention softmax over [32, 12, 128, 128] in place. */
    @Benchmark
    public INDArray softmax() {
        return Nd4j.exec(new SoftMax(scores, scores, 3))[0];
    }
}
