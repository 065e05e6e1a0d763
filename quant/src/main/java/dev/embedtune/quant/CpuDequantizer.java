package dev.embedtune.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU fast path of {@link Dequantizer#dequantizeInto}: reads the packed bytes and writes the
 * floats straight in host memory, with the same float operations as the portable version (code
 * value × absmax; second-level code × absmax2 + offset), so the two agree bit for bit. It decodes
 * whole blocks at a time into heap arrays and moves bytes in and floats out in bulk (a put per
 * float through a ByteBuffer took twice as long: 1.3 against 0.65 ns an element). Used only
 * on the native CPU backend, for dense row-major FLOAT outputs; {@code embedtune.kernels=portable}
 * switches it off.
 */
final class CpuDequantizer {
    private static final boolean CPU = !"portable".equals(System.getProperty("embedtune.kernels"))
            && Nd4j.getBackend().getClass().getName().contains(".cpu.");

    /** Per type, {@link Dequantizer#byteTable} flattened: a byte's code values at [2·byte] and [2·byte + 1] (INT8: [byte]). */
    private static final float[][] TABLES = java.util.Arrays.stream(QuantType.values()).map(CpuDequantizer::flatTable)
            .toArray(float[][]::new);

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

    /** Elements per chunk: whole blocks are decoded into a heap array, then copied out in one bulk put. */
    private static final int CHUNK = 4096;

    static void dequantizeInto(QuantizedTensor q, INDArray out) {
        float[] absmax = absmax(q);
        ByteBuffer packed = host(q.packed(), 1);
        FloatBuffer dst = host(out, 4).asFloatBuffer();
        int n = Math.toIntExact(q.numel());
        int blockSize = q.blockSize();
        boolean int8 = q.type() == QuantType.INT8;
        float[] table = TABLES[q.type().ordinal()];
        int chunk = Math.max(1, CHUNK / blockSize) * blockSize;
        byte[] codes = new byte[int8 ? chunk : chunk / 2];
        float[] values = new float[chunk];
        for (int start = 0; start < n; start += chunk) {
            int length = Math.min(chunk, n - start);
            if (int8) {
                packed.get(start, codes, 0, length);
                for (int i = 0; i < length; i++) {
                    values[i] = table[codes[i] & 0xFF] * absmax[(start + i) / blockSize];
                }
            } else {
                // block sizes are even, so a chunk starts on a byte and the two codes of one byte share a block;
                // with an odd total the last byte's second code is padding, decoded into values[length] and not copied
                packed.get(start >>> 1, codes, 0, (length + 1) >>> 1);
                for (int from = 0; from < length; from += blockSize) {
                    float scale = absmax[(start + from) / blockSize];
                    for (int i = from, to = Math.min(from + blockSize, length); i < to; i += 2) {
                        int code = (codes[i >>> 1] & 0xFF) << 1;
                        values[i] = table[code] * scale;
                        values[i + 1] = table[code + 1] * scale;
                    }
                }
            }
            dst.put(start, values, 0, length);
        }
    }

    private static float[] flatTable(QuantType type) {
        float[][] table = Dequantizer.byteTable(type);
        int width = table[0].length;
        float[] flat = new float[256 * width];
        for (int b = 0; b < 256; b++) {
            System.arraycopy(table[b], 0, flat, b * width, width);
        }
        return flat;
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
