package dev.embedtune.bench.gemm;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * sgemm at the shapes of a MiniLM training step (32 + 32 × 128 tokens: M = 4096 rows), one library per
 * forked JVM, so that each loads alone:
 * <ul>
 *   <li>{@code nd4j}: {@code Nd4j.gemm} into a preallocated array, i.e. ND4J's bundled OpenBLAS 0.3.19
 *       (its CPU kernels chosen by {@code OPENBLAS_CORETYPE} as the JVM was started with it);</li>
 *   <li>{@code openblas-0.3.31}: {@code cblas_sgemm} of OpenBLAS 0.3.31 (org.bytedeco:openblas
 *       0.3.31-1.5.13, linux-x86_64), loaded with JNA beside the JVM;</li>
 *   <li>{@code mkl-2022.0}: {@code cblas_sgemm} of MKL 2022.0 (org.bytedeco:mkl 2022.0-1.5.7, the one
 *       JavaCPP 1.5.7 — ND4J's — can use), sequential or Intel-threaded.</li>
 * </ul>
 * Shapes, as the layers compute them (row-major; W is [out, in] as stored): the forward's X·Wᵀ
 * ({@code qkv}: 4096×384·(384×384)ᵀ, {@code ffnIn}: 4096×384·(1536×384)ᵀ, {@code ffnOut}:
 * 4096×1536·(384×1536)ᵀ), the backward's input gradients dY·W ({@code ffnInBack}: 4096×1536·1536×384,
 * {@code ffnOutBack}: 4096×384·384×1536), and the thin LoRA products at r = 16 ({@code loraDown}:
 * 4096×384·(16×384)ᵀ, {@code loraUp}: 4096×16·(384×16)ᵀ, {@code loraGrad}: the adapter gradient
 * dYᵀ·(X·Aᵀ), 384×4096·4096×16). One op is one GEMM; the secondary figure is GFLOP/s (2·M·N·K per op).
 * Run by {@code bin/bench-gemm}, which also sets OPENBLAS_CORETYPE per run; not part of bench-suite.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class GemmLibrariesBenchmark {
    @Param({"nd4j", "openblas-0.3.31", "mkl-2022.0"})
    public String library;

    @Param({"qkv", "ffnIn", "ffnOut", "ffnInBack", "ffnOutBack", "loraDown", "loraUp", "loraGrad"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    /** A GEMM C[M×N] = op(A)·op(B) in row-major terms. */
    record Shape(int m, int n, int k, boolean transA, boolean transB) {
        double flop() {
            return 2.0 * m * n * k;
        }
    }

    static Shape shape(String name) {
        return switch (name) {
            case "qkv" -> new Shape(4096, 384, 384, false, true);
            case "ffnIn" -> new Shape(4096, 1536, 384, false, true);
            case "ffnOut" -> new Shape(4096, 384, 1536, false, true);
            case "ffnInBack" -> new Shape(4096, 384, 1536, false, false);
            case "ffnOutBack" -> new Shape(4096, 1536, 384, false, false);
            case "loraDown" -> new Shape(4096, 16, 384, false, true);
            case "loraUp" -> new Shape(4096, 384, 16, false, true);
            case "loraGrad" -> new Shape(384, 16, 4096, true, false);
            default -> throw new IllegalArgumentException("unknown GEMM shape " + name);
        };
    }

    private Shape s;
    private Runnable gemm;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        s = shape(shape);
        int aRows = s.transA() ? s.k() : s.m(), aCols = s.transA() ? s.m() : s.k();
        int bRows = s.transB() ? s.n() : s.k(), bCols = s.transB() ? s.k() : s.n();
        Random random = new Random(42);
        float[] a = randomFloats(random, aRows * aCols), b = randomFloats(random, bRows * bCols);
        gemm = switch (library) {
            case "nd4j" -> nd4j(a, aRows, aCols, b, bRows, bCols);
            case "openblas-0.3.31" -> cblas(NativeLibraries.select(NativeLibraries.unpack("openblas-"), "libgfortran",
                    "libopenblas.so"), "openblas_set_num_threads", a, aCols, b, bCols);
            case "mkl-2022.0" -> cblas(NativeLibraries.select(NativeLibraries.unpack("mkl-2022.0-1.5.7-linux-x86_64-redist"), "libiomp5", "libmkl_core",
                    "libmkl_intel_thread", "libmkl_intel_lp64", "libmkl_rt"), "MKL_Set_Num_Threads", a, aCols, b, bCols);
            default -> throw new IllegalArgumentException("unknown library " + library);
        };
    }

    private static float[] randomFloats(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }

    private Runnable nd4j(float[] a, int aRows, int aCols, float[] b, int bRows, int bCols) {
        Nd4j.factory().blas().setMaxThreads(threads);
        INDArray x = Nd4j.create(a, new long[] {aRows, aCols}, 'c');
        INDArray y = Nd4j.create(b, new long[] {bRows, bCols}, 'c');
        INDArray c = Nd4j.create(DataType.FLOAT, new long[] {s.m(), s.n()}, 'f');
        return () -> Nd4j.gemm(x, y, c, s.transA(), s.transB(), 1.0, 0.0);
    }

    /** cblas_sgemm of the last library of {@code libraries} (the others are its dependencies, loaded first). */
    private Runnable cblas(List<Path> libraries, String setThreads, float[] a, int lda, float[] b, int ldb) {
        NativeLibrary lib = null;
        for (Path p : libraries) {
            lib = NativeLibrary.getInstance(p.toAbsolutePath().toString());
        }
        if (lib == null) {
            throw new IllegalStateException("no library unpacked for " + library);
        }
        NativeLibrary found = lib;
        Function set = found.getFunction(setThreads);
        set.invoke(new Object[] {threads});   // void openblas_set_num_threads(int) / void MKL_Set_Num_Threads(int)
        Function sgemm = found.getFunction("cblas_sgemm");
        Memory ma = memory(a), mb = memory(b), mc = new Memory((long) s.m() * s.n() * Float.BYTES);
        Object[] args = {101, s.transA() ? 112 : 111, s.transB() ? 112 : 111, s.m(), s.n(), s.k(), 1.0f, ma, lda, mb, ldb,
                0.0f, mc, s.n()};
        return () -> sgemm.invoke(args);
    }

    private static Memory memory(float[] values) {
        Memory m = new Memory((long) values.length * Float.BYTES);
        m.write(0, values, 0, values.length);
        return m;
    }

    @Benchmark
    public void sgemm() {
        gemm.run();
    }
}
