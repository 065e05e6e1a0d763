package dev.embedtune.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU fast path of {@link Dequantizer#dequantizeInto}: reads the packed bytes and writes the
 * floats straight in host memory, with the same float operations as the portable version (code
 * value × absmax; second-level code × absmax2 + offset), so the two agree bit for bit. Used only
 * on the native CPU backend, for dense row-major FLOAT outputs; {@code embedtune.kernels=portable}
 * switches it off.
 */
final class CpuDequantizer {
    private static final boolean CPU = !"portable".equals(System.getProperty("embedtune.kernels"))
            && Nd4j.getBackend().getClass().getName().contains(".cpu.");

    private CpuDequantizer() {
    }

    /** FLOAT, row-major and contiguous (a row block of a larger matrix qualifies). */
    static boolean applies(INDArray out) {
        return CPU && out.dataType() == DataType.FLOAT && out.ordering() == 'c' && (!out.isView() || contiguous(out));
    }

    private static boolean contiguous(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }

    static void dequantizeInto(QuantizedTensor q, INDArray out) {
        float[] absmax = absmax(q);
        ByteBuffer packed = host(q.packed(), 1);
        ByteBuffer dst = host(out, 4);
        float[][] table = Dequantizer.byteTable(q.type());
        long n = q.numel();
        int blockSize = q.blockSize();
        if (q.type() == QuantType.INT8) {
            for (int i = 0; i < n; i++) {
                dst.putFloat(i * 4, table[packed.get(i) & 0xFF][0] * absmax[i / blockSize]);
            }
            return;
        }
        // block sizes are even, so the two codes of one byte share a block
        for (int i = 0; i < n; i += 2) {
            float[] pair = table[packed.get(i >>> 1) & 0xFF];
            float scale = absmax[i / blockSize];
            dst.putFloat(i * 4, pair[0] * scale);
            if (i + 1 < n) {
                dst.putFloat(i * 4 + 4, pair[1] * scale);
            }
        }
    }

    /** Per-block scales, decoded from the double-quantised form when there is one. */
    static float[] absmax(QuantizedTensor q) {
        if (q.scales() == null) {
            return q.absmax().castTo(DataType.FLOAT).toFloatVector();
        }
        DoubleQuantizedScales s = q.scales();
        ByteBuffer codes = host(s.codes(), 1);
        float[] absmax2 = s.absmax2().castTo(DataType.FLOAT).toFloatVector();
        float[] out = new float[(int) s.codes().length()];
        for (int b = 0; b < out.length; b++) {
            out[b] = DynamicCode.value(codes.get(b) & 0xFF) * absmax2[b / s.blockSize2()] + s.offset();
        }
        return out;
    }

    private static ByteBuffer host(INDArray a, int width) {
        ByteBuffer all = a.data().asNio();
        int start = (int) (a.offset() * width);
        return all.position(start).limit(start + (int) (a.length() * width)).slice().order(ByteOrder.nativeOrder());
    }
}
