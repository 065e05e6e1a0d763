package dev.embedtune.autodiff.kernels;

import dev.embedtune.quant.NativeRuntime;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Chooses between a kernel's portable version (ND4J ops: runs on every backend, CUDA included) and
 * its CPU fast path (Java Vector API over the array's host memory). The fast path is taken only
 * when the ND4J backend is the native CPU one, the JVM was started with
 * {@code --add-modules jdk.incubator.vector}, the system property {@code embedtune.kernels} is not
 * {@code portable}, and the arrays are dense row-major FLOAT.
 */
public final class KernelPath {
    private static final boolean CPU_BACKEND, CPU_VECTOR;

    static {
        NativeRuntime.configure();                       // before ND4J loads, where this is its first use
        CPU_BACKEND = !"portable".equals(System.getProperty("embedtune.kernels"))
                && Nd4j.getBackend().getClass().getName().contains(".cpu.");
        CPU_VECTOR = CPU_BACKEND && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private KernelPath() {
    }

    /** True on the native CPU backend unless the portable kernels were asked for (fast paths that need no Vector API). */
    public static boolean cpuBackend() {
        return CPU_BACKEND;
    }

    /** True when the CPU fast paths are enabled for this process. */
    public static boolean cpuVector() {
        return CPU_VECTOR;
    }

    /** True when every array (nulls skipped) can be read and written as one FloatBuffer of host memory. */
    static boolean fast(INDArray... arrays) {
        if (!CPU_VECTOR) {
            return false;
        }
        for (INDArray a : arrays) {
            if (a == null) {
                continue;                                  // an optional argument left out
            }
            if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.isView() && !isDenseView(a)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the array's elements are contiguous in row-major order (a whole buffer, or a dense block of one). */
    static boolean dense(INDArray a) {
        return !a.isView() || isDenseView(a);
    }

    private static boolean isDenseView(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }

    /**
     * The array's host memory as a native-order ByteBuffer whose byte 0 is the array's first
     * element and whose limit is its last (the Vector API reads and writes ByteBuffers). Built from
     * the address of the array's first element (the data buffer's address pointer includes a view's
     * offset), not by positioning the whole buffer's NIO view: NIO positions are ints, and the
     * activation arena of a long-text pass holds more than 2 GB (bge-base, 32 × 512 tokens).
     */
    static ByteBuffer bytes(INDArray a) {
        return new BytePointer(a.data().addressPointer()).capacity(a.length() * Float.BYTES).asByteBuffer()
                .order(ByteOrder.nativeOrder());
    }

    /** The array's host memory as a FloatBuffer whose index 0 is its first element (null for null). */
    static FloatBuffer floats(INDArray a) {
        return a == null ? null : bytes(a).asFloatBuffer();
    }
}
