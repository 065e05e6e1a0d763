package dev.embedtune.quant;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Quantises a weight once, at load time, in plain Java (it is not on the training path).
 * Per block of {@code blockSize} elements (the last block may be shorter): absmax = max |x|,
 * scaled = x / absmax, code = nearest code (4-bit) or round(scaled · 127) (int8). A block of zeros
 * has absmax 0 and stores the code of 0.
 */
public final class BlockQuantizer {
    public static final int MIN_BLOCK = 32, MAX_BLOCK = 4096, DEFAULT_BLOCK = 64, SCALE_BLOCK = 256;

    private BlockQuantizer() {
    }

    /**
     * @param doubleQuantize store the block scales in 8 bits (QLoRA's double quantisation)
     * @throws IllegalArgumentException for a block size outside 32…4096 or not a power of two
     */
    public static QuantizedTensor quantize(float[] values, long[] shape, QuantType type, int blockSize,
            boolean doubleQuantize) {
        if (blockSize < MIN_BLOCK || blockSize > MAX_BLOCK || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two from " + MIN_BLOCK + " to "
                    + MAX_BLOCK + ", got " + blockSize);
        }
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        if (numel != values.length) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " holds " + numel
                    + " values, got " + values.length);
        }
        int blocks = (values.length + blockSize - 1) / blockSize;
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            float m = 0;
            for (int i = b * blockSize, end = Math.min(values.length, i + blockSize); i < end; i++) {
                m = Math.max(m, Math.abs(values[i]));
            }
            absmax[b] = m;
        }
        byte[] packed = new byte[(int) type.packedBytes(values.length)];
        NearestCode nearest = type == QuantType.INT8 ? null : new NearestCode(type);
        for (int i = 0; i < values.length; i++) {
            float scale = absmax[i / blockSize];
            float scaled = scale == 0 ? 0 : values[i] / scale;
            if (type == QuantType.INT8) {
                packed[i] = (byte) Math.round(scaled * 127f);
            } else {
                int nibble = nearest.nibble(scaled);
                packed[i / 2] |= (byte) (i % 2 == 0 ? nibble << 4 : nibble);   // first element high
            }
        }
        var packedArray = Nd4j.createFromArray(packed).castTo(DataType.UBYTE);
        if (!doubleQuantize) {
            return new QuantizedTensor(type, shape, blockSize, packedArray, Nd4j.createFromArray(absmax), null);
        }
        return new QuantizedTensor(type, shape, blockSize, packedArray, null, quantizeScales(absmax));
    }

    /** The absmax values minus their mean, block-wise (256) on the signed dynamic 8-bit code. */
    static DoubleQuantizedScales quantizeScales(float[] absmax) {
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        float offset = (float) (sum / absmax.length);
        int blocks2 = (absmax.length + SCALE_BLOCK - 1) / SCALE_BLOCK;
        float[] absmax2 = new float[blocks2];
        byte[] codes = new byte[absmax.length];
        for (int b = 0; b < blocks2; b++) {
            int from = b * SCALE_BLOCK, to = Math.min(absmax.length, from + SCALE_BLOCK);
            float m = 0;
            for (int i = from; i < to; i++) {
                m = Math.max(m, Math.abs(absmax[i] - offset));
            }
            absmax2[b] = m;
            for (int i = from; i < to; i++) {
                float scaled = m == 0 ? 0 : (absmax[i] - offset) / m;
                codes[i] = (byte) DynamicCode.nearest(scaled);
            }
        }
        return new DoubleQuantizedScales(offset, Nd4j.createFromArray(codes).castTo(DataType.UBYTE),
                Nd4j.createFromArray(absmax2), SCALE_BLOCK);
    }
}
