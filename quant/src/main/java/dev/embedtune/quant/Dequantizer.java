package dev.embedtune.quant;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Dequantisation, three ways: {@link #dequantize} with ND4J ops only (so it runs on any backend,
 * CUDA included, and inside the training step), {@link CpuDequantizer} as the CPU fast path that
 * {@link #dequantizeInto} picks on the native CPU backend (a plain loop over host memory, about
 * 100× faster than the op chain), and {@link #valueAt} as the scalar definition the tests hold
 * both to, bit for bit.
 */
public final class Dequantizer {
    private Dequantizer() {
    }

    /** The weight as FLOAT in its original shape. */
    public static INDArray dequantize(QuantizedTensor q) {
        INDArray out = Nd4j.create(DataType.FLOAT, q.shape());
        dequantizeInto(q, out);
        return out;
    }

    /** Writes the weight into {@code out} (its original shape, any floating type). */
    public static void dequantizeInto(QuantizedTensor q, INDArray out) {
        if (out.length() != q.numel()) {
            throw new IllegalArgumentException("dequantising " + java.util.Arrays.toString(q.shape()) + " into an array of "
                    + out.length() + " elements");
        }
        if (CpuDequantizer.applies(out)) {
            CpuDequantizer.dequantizeInto(q, out);
        } else {
            INDArray dense = dequantizePortable(q);
            out.assign(out.dataType() == DataType.FLOAT ? dense : dense.castTo(out.dataType()));
        }
    }

    /**
     * The portable version: each packed byte is looked up in a 256-entry table of its two code
     * values (one Gather), then scaled by its block's absmax (one broadcast multiply).
     */
    public static INDArray dequantizePortable(QuantizedTensor q) {
        long n = q.numel();
        INDArray indices = q.packed().castTo(DataType.INT);                                  // [packed]
        INDArray values = Nd4j.exec(new Gather(Nd4j.createFromArray(byteTable(q.type())), indices, 0))[0].reshape(-1);
        INDArray absmax = scales(q);                                                          // [blocks]
        long padded = q.blocks() * q.blockSize();
        INDArray blocked = values.length() >= padded
                ? values.get(NDArrayIndex.interval(0, padded))
                : Nd4j.concat(0, values, Nd4j.zeros(DataType.FLOAT, padded - values.length()));
        INDArray scaled = blocked.reshape(q.blocks(), q.blockSize()).mulColumnVector(absmax.reshape(-1, 1));
        return scaled.reshape(-1).get(NDArrayIndex.interval(0, n)).reshape(q.shape());
    }

    /**
     * The code values a packed byte stands for: [256, 2] (first element from the high nibble) for
     * 4-bit types, [256, 1] (the signed byte / 127) for INT8.
     */
    static float[][] byteTable(QuantType type) {
        float[][] table = new float[256][];
        float[] code = type.code();
        for (int b = 0; b < 256; b++) {
            table[b] = type == QuantType.INT8 ? new float[] {(byte) b / 127f} : new float[] {code[b >>> 4], code[b & 0x0F]};
        }
        return table;
    }

    /** The per-block absmax, [blocks]: stored, or decoded from the double-quantised scales. */
    static INDArray scales(QuantizedTensor q) {
        if (q.scales() == null) {
            return q.absmax();
        }
        DoubleQuantizedScales s = q.scales();
        INDArray codes = s.codes().castTo(DataType.INT);
        INDArray code = Nd4j.exec(new Gather(Nd4j.createFromArray(DynamicCode.values()), codes, 0))[0];
        long blocks = codes.length(), blocks2 = s.absmax2().length(), padded = blocks2 * s.blockSize2();
        INDArray full = blocks == padded ? code : Nd4j.concat(0, code, Nd4j.zeros(DataType.FLOAT, padded - blocks));
        INDArray scaled = full.reshape(blocks2, s.blockSize2()).mulColumnVector(s.absmax2().reshape(-1, 1));
        return scaled.reshape(-1).get(NDArrayIndex.interval(0, blocks)).add(s.offset());
    }

    /** Element {@code i} (row-major), straight from the format's definition. */
    public static float valueAt(QuantizedTensor q, long i) {
        int b = (int) (i / q.blockSize());
        float absmax;
        if (q.scales() == null) {
            absmax = q.absmax().getFloat(b);
        } else {
            DoubleQuantizedScales s = q.scales();
            int code = (int) s.codes().getDouble(b) & 0xFF;
            absmax = DynamicCode.value(code) * s.absmax2().getFloat(b / s.blockSize2()) + s.offset();
        }
        int byteValue = (int) q.packed().getDouble(q.type().bits() == 4 ? i / 2 : i) & 0xFF;
        if (q.type() == QuantType.INT8) {
            return (byte) byteValue / 127f * absmax;
        }
        int nibble = i % 2 == 0 ? byteValue >>> 4 : byteValue & 0x0F;
        return q.type().code()[nibble] * absmax;
    }
}
