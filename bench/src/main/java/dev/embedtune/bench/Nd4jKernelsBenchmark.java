package dev.embedtune.bench;

import java.util.concurrent.TimeUnit;
import dev.embedtune.autodiff.kernels.Gelu;
import dev.embedtune.autodiff.kernels.HeadProducts;
import dev.embedtune.autodiff.kernels.MaskedSoftmax;
import dev.embedtune.quant.BlockQuantizer;
import dev.embedtune.quant.Dequantizer;
import dev.embedtune.quant.QuantType;
import dev.embedtune.quant.QuantizedTensor;
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
    private INDArray keyMask;       // [B, T]
    private INDArray gradient;      // [B·T, FFN]
    private INDArray probsOut;      // [B, heads, T, T]
    private INDArray denseWeight;   // [FFN, H]
    private INDArray geluOut;       // [B·T, FFN], row-major as the layer's buffers (the fast path needs 'c')
    private QuantizedTensor nf4Weight;

    @Setup
    public void setUp() {
        dev.embedtune.quant.NativeRuntime.configure();   // OpenBLAS's AVX-512 kernels where the CPU has them, as embedtune runs
        Nd4j.getRandom().setSeed(42);
        activations = Nd4j.randn(DataType.FLOAT, TOKENS, HIDDEN);
        ffnWeight = Nd4j.randn(DataType.FLOAT, HIDDEN, FFN).muli(0.05);
        ffnOut = Nd4j.create(DataType.FLOAT, new long[] {TOKENS, FFN}, 'f');
        scores = Nd4j.randn(DataType.FLOAT, 32, 12, 128, 128);
        scratch = Nd4j.randn(DataType.FLOAT, TOKENS, FFN);
        keyMask = Nd4j.ones(DataType.FLOAT, 32, 128);
        gradient = Nd4j.randn(DataType.FLOAT, TOKENS, FFN);
        probsOut = scores.ulike();
        geluOut = Nd4j.create(DataType.FLOAT, TOKENS, FFN);
        denseWeight = Nd4j.create(DataType.FLOAT, FFN, HIDDEN);
        float[] w = Nd4j.randn(DataType.FLOAT, FFN, HIDDEN).muli(0.05).reshape(-1).toFloatVector();
        nf4Weight = BlockQuantizer.quantize(w, new long[] {FFN, HIDDEN}, QuantType.NF4, 64, true);
    }

    /** Exact GELU over 6.3 M floats, CPU fast path (Vector API) when this is the CPU backend. */
    @Benchmark
    public INDArray geluForward() {
        Gelu.forward(scratch, geluOut);
        return geluOut;
    }

    /** The same with ND4J ops only (the path other backends take). */
    @Benchmark
    public INDArray geluForwardPortable() {
        Gelu.forwardPortable(scratch, geluOut);
        return geluOut;
    }

    @Benchmark
    public INDArray geluBackward() {
        Gelu.backward(scratch, gradient, geluOut, activationsLike());
        return geluOut;
    }

    @Benchmark
    public INDArray geluBackwardPortable() {
        Gelu.backwardPortable(scratch, gradient, geluOut, activationsLike());
        return geluOut;
    }

    private INDArray work;

    private INDArray activationsLike() {
        if (work == null) {
            work = scratch.ulike();
        }
        return work;
    }

    /** Scale, key mask and softmax over [32, 12, 128, 128], CPU fast path when available. */
    @Benchmark
    public INDArray maskedSoftmax() {
        MaskedSoftmax.forward(scores, keyMask, 0.17, probsOut);
        return probsOut;
    }

    @Benchmark
    public INDArray maskedSoftmaxPortable() {
        MaskedSoftmax.forwardPortable(scores, keyMask, 0.17, probsOut);
        return probsOut;
    }

    /** Q·Kᵀ per head for 32 × 128 tokens, 12 heads of 32 ([4096, 384] → [32, 12, 128, 128]), CPU fast path when available. */
    @Benchmark
    public INDArray headScores() {
        HeadProducts.scores(activations, activations, 32, 128, 12, probsOut);
        return probsOut;
    }

    /** The same as one batched Mmul on rank-4 permuted views. */
    @Benchmark
    public INDArray headScoresPortable() {
        HeadProducts.scoresPortable(activations, activations, 32, 128, 12, probsOut);
        return probsOut;
    }

    /** P·V per head ([32, 12, 128, 128] · [4096, 384] → [4096, 384]), CPU fast path when available. */
    @Benchmark
    public INDArray headWeighted() {
        HeadProducts.weighted(scores, activations, false, 32, 128, 12, headOut());
        return headOut;
    }

    @Benchmark
    public INDArray headWeightedPortable() {
        HeadProducts.weightedPortable(scores, activations, false, 32, 128, 12, headOut());
        return headOut;
    }

    /** Pᵀ·dC per head (the backward's dV and dK), CPU fast path when available. */
    @Benchmark
    public INDArray headWeightedTransposed() {
        HeadProducts.weighted(scores, activations, true, 32, 128, 12, headOut());
        return headOut;
    }

    @Benchmark
    public INDArray headWeightedTransposedPortable() {
        HeadProducts.weightedPortable(scores, activations, true, 32, 128, 12, headOut());
        return headOut;
    }

    private INDArray headOut;

    private INDArray headOut() {
        if (headOut == null) {
            headOut = activations.ulike();
        }
        return headOut;
    }

    /** NF4 (double-quantised, block 64) → float32 of one 1536×384 weight, CPU fast path when available. */
    @Benchmark
    public INDArray dequantizeNf4() {
        Dequantizer.dequantizeInto(nf4Weight, denseWeight);
        return denseWeight;
    }

    /** The same as ND4J ops only (one Gather from a 256-entry byte table, one broadcast multiply). */
    @Benchmark
    public INDArray dequantizeNf4Portable() {
        return Dequantizer.dequantizePortable(nf4Weight);
    }

    /** The intermediate dense GEMM: 4096×384 · 384×1536 (4.8 GFLOP). */
    @Benchmark
    public INDArray gemmFfn() {
        return Nd4j.gemm(activations, ffnWeight, ffnOut, false, false, 1.0, 0.0);
    }

    // The training step's other GEMM shapes (B·T = 4096): forward Q/K/V/attention-output (384 → 384) and
    // FFN output (1536 → 384), and the backward's input-gradient products. With gemmFfn these are the
    // BLAS ceiling the suite divides achieved FLOP/s by (MFU, docs/BENCHMARKS.md).

    private INDArray square;     // [H, H]
    private INDArray out384;     // [B·T, H], 'f'
    private INDArray out1536;    // [B·T, FFN], 'f'

    private void gemmBuffers() {
        if (square == null) {
            square = Nd4j.randn(DataType.FLOAT, HIDDEN, HIDDEN).muli(0.05);
            out384 = Nd4j.create(DataType.FLOAT, new long[] {TOKENS, HIDDEN}, 'f');
            out1536 = Nd4j.create(DataType.FLOAT, new long[] {TOKENS, FFN}, 'f');
        }
    }

    /** 4096×384 · 384×384 (1.2 GFLOP): Q, K, V and the attention output, forward. */
    @Benchmark
    public INDArray gemmSquare() {
        gemmBuffers();
        return Nd4j.gemm(activations, square, out384, false, false, 1.0, 0.0);
    }

    /** 4096×1536 · 1536×384 (4.8 GFLOP): the FFN output, forward. */
    @Benchmark
    public INDArray gemmFfnOut() {
        gemmBuffers();
        return Nd4j.gemm(scratch, denseWeight, out384, false, false, 1.0, 0.0);
    }

    /** 4096×384 · (1536×384)ᵀ... as the backward's input gradient of the FFN output: dY[4096×384] · W[1536×384]ᵀ. */
    @Benchmark
    public INDArray gemmFfnOutBackward() {
        gemmBuffers();
        return Nd4j.gemm(activations, denseWeight, out1536, false, true, 1.0, 0.0);
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
