package dev.embedtune.quant;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Dequantisation, twice: {@link #dequantize} with ND4J ops only (so it runs on any backend, CUDA
 * included, and inside the training step), and {@link #valueAt} as the scalar definition the
 * tests hold it to. No CPU fast path yet: measure before adding one.
 */
public final class Dequantizer {
    private Dequantizer() {
    }

    /** The weight as FLOAT in its original shape. */
    public static INDArray dequantize(QuantizedTensor q) {
        long n = q.numel();
        INDArray bytes = q.packed().castTo(DataType.FLOAT);                                  // [packed]
        INDArray values;
        if (q.type() == QuantType.INT8) {
            // UBYTE holds the two's complement: 128..255 are −128..−1.
            INDArray signed = bytes.sub(Transforms.floor(bytes.div(128), true).muli(256));
            values = signed.divi(127f);
        } else {
            INDArray high = Transforms.floor(bytes.div(16), true);                            // first element
            INDArray low = bytes.sub(high.mul(16));
            INDArray nibbles = Nd4j.vstack(high.reshape(1, -1), low.reshape(1, -1)).transpose().reshape(-1);
            INDArray indices = nibbles.castTo(DataType.INT);
            values = Nd4j.exec(new Gather(Nd4j.createFromArray(q.type().code()), indices, 0))[0];
        }
        INDArray absmax = scales(q);                                                          // [blocks]
        long padded = q.blocks() * q.blockSize();
        INDArray blocked = values.length() >= padded
                ? values.get(NDArrayIndex.interval(0, padded))
                : Nd4j.concat(0, values, Nd4j.zeros(DataType.FLOAT, padded - values.length()));
        INDArray scaled = blocked.reshape(q.blocks(), q.blockSize()).mulColumnVector(absmax.reshape(-1, 1));
        return scaled.reshape(-1).get(NDArrayIndex.interval(0, n)).reshape(q.shape());
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
