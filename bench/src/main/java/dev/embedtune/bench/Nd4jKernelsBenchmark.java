package dev.embedtune.bench;

import java.util.concurrent.TimeUnit;
import dev.embedtune.autodiff.kernels.Gelu;
import dev.embedtune.autodiff.TokenLayout;
import dev.embedtune.autodiff.kernels.AttentionSettings;
import dev.embedtune.autodiff.kernels.Gemm;
import dev.embedtune.autodiff.kernels.PackedAttention;
import dev.embedtune.autodiff.kernels.ResidualNorm;
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
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
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

    private TokenLayout layout;
    private INDArray qkv, qkvBias, context, logSumExp, dQkv;
    private AttentionSettings attention;

    private void attentionInputs() {
        if (layout == null) {
            layout = TokenLayout.dense(32, 128);
            qkv = Nd4j.randn(DataType.FLOAT, TOKENS, 3 * HIDDEN);
            qkvBias = Nd4j.randn(DataType.FLOAT, 3 * HIDDEN);
            context = activations.ulike();
            logSumExp = Nd4j.create(DataType.FLOAT, TOKENS, 12);
            dQkv = qkv.ulike();
            attention = AttentionSettings.of(12);
        }
    }

    /** Attention forward over 32 × 128 tokens, 12 heads of 32, from a fused [4096, 1152] projection: CPU fast path. */
    @Benchmark
    public INDArray attentionForward() {
        attentionInputs();
        PackedAttention.forward(layout, qkv, qkvBias, attention, context, logSumExp);
        return context;
    }

    /** The same in ND4J ops (padded batched GEMMs and a masked softmax: the path other backends take). */
    @Benchmark
    public INDArray attentionForwardPortable() {
        attentionInputs();
        PackedAttention.forwardPortable(layout, qkv, qkvBias, attention, context);
        return context;
    }

    /** Attention backward (P recomputed from the saved log-sum-exp): CPU fast path. */
    @Benchmark
    public INDArray attentionBackward() {
        attentionInputs();
        PackedAttention.backward(layout, qkv, qkvBias, attention, context, logSumExp, activations, dQkv);
        return dQkv;
    }

    @Benchmark
    public INDArray attentionBackwardPortable() {
        attentionInputs();
        PackedAttention.backwardPortable(layout, qkv, qkvBias, attention, activations, dQkv);
        return dQkv;
    }

    private INDArray normOut, normXHat, normRstd, normGamma, normBias;

    private void normBuffers() {
        if (normOut == null) {
            normOut = activations.ulike();
            normXHat = activations.ulike();
            normRstd = Nd4j.create(DataType.FLOAT, TOKENS, 1);
            normGamma = Nd4j.rand(DataType.FLOAT, HIDDEN);
            normBias = Nd4j.rand(DataType.FLOAT, HIDDEN);
        }
    }

    /** Bias + residual + LayerNorm over [4096, 384] in one pass: CPU fast path. */
    @Benchmark
    public INDArray residualNorm() {
        normBuffers();
        ResidualNorm.forward(activations, normBias, null, headOut(), normGamma, normBias, 1e-12, normXHat, normRstd, null, normOut);
        return normOut;
    }

    @Benchmark
    public INDArray residualNormPortable() {
        normBuffers();
        ResidualNorm.forwardPortable(activations, normBias, null, headOut(), normGamma, normBias, 1e-12, normXHat, normRstd,
                null, normOut);
        return normOut;
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

    /** The intermediate dense GEMM: 4096×384 · 384×1536 (4.8 GFLOP), through ND4J. */
    @Benchmark
    public INDArray gemmFfn() {
        return Nd4j.gemm(activations, ffnWeight, ffnOut, false, false, 1.0, 0.0);
    }

    private INDArray ffnOutRowMajor;

    /** The same GEMM as the layers call it: OpenBLAS's cblas_sgemm directly (the CPU fast path of Gemm). */
    @Benchmark
    public INDArray gemmFfnDirect() {
        if (ffnOutRowMajor == null) {
            ffnOutRowMajor = Nd4j.create(DataType.FLOAT, TOKENS, FFN);
        }
        Gemm.gemm(activations, ffnWeight, ffnOutRowMajor, false, false, 1.0, 0.0);
        return ffnOutRowMajor;
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
