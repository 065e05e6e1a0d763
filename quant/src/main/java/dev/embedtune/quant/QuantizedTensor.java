package dev.embedtune.quant;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A weight in packed form; this is all that stays resident of a frozen matrix.
 *
 * @param type      the format
 * @param shape     the original shape, e.g. nn.Linear's [out, in]
 * @param blockSize elements per absmax block (32 … 4096)
 * @param packed    the codes, UBYTE: two 4-bit codes a byte (first element in the high nibble),
 *                  or one signed int8 code a byte (stored as UBYTE, two's complement)
 * @param absmax    per-block scales [blocks], FLOAT; null when {@code scales} holds them
 * @param scales    the double-quantised scales, or null
 */
public record QuantizedTensor(QuantType type, long[] shape, int blockSize, INDArray packed, INDArray absmax,
        DoubleQuantizedScales scales) {

    public QuantizedTensor {
        shape = shape.clone();
        if ((absmax == null) == (scales == null)) {
            throw new IllegalArgumentException("exactly one of absmax and double-quantised scales must be given");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    public long blocks() {
        return (numel() + blockSize - 1) / blockSize;
    }

    /** Bytes held: packed codes plus the scales. */
    public long bytes() {
        long scaleBytes = scales != null ? scales.bytes() : blocks() * 4L;
        return type.packedBytes(numel()) + scaleBytes;
    }

    /** Storage per parameter in bits, e.g. 4.5 for NF4 with float32 absmax per 64, 4.127 double-quantised. */
    public double bitsPerParameter() {
        return 8.0 * bytes() / numel();
    }
}
