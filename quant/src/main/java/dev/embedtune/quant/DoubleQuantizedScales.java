package dev.embedtune.quant;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Block scales stored in 8 bits (QLoRA's double quantisation): the mean of the absmax values is
 * subtracted, the rest quantised block-wise (256 a block) with the signed {@link DynamicCode}.
 *
 * @param offset      the mean absmax that was subtracted
 * @param codes       one dynamic-code index per block scale, UBYTE [blocks]
 * @param absmax2     the second-level absmax per 256 scales, FLOAT [ceil(blocks / 256)]
 * @param blockSize2  scales per second-level block (256)
 */
public record DoubleQuantizedScales(float offset, INDArray codes, INDArray absmax2, int blockSize2) {

    /** 1 byte per scale, 4 per second-level absmax, 4 for the offset. */
    public long bytes() {
        return codes.length() + 4L * absmax2.length() + 4;
    }
}
