package dev.embedtune.model.lora;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The low-rank pair of one linear module.
 *
 * @param a [r, in]: initialised Kaiming-uniform (a = √5, as nn.Linear), so U(−1/√in, 1/√in)
 * @param b [out, r]: initialised to zeros, so a new adapter changes nothing
 */
public record LoraAdapter(INDArray a, INDArray b) {
    public LoraAdapter {
        if (a.rank() != 2 || b.rank() != 2 || a.size(0) != b.size(1)) {
            throw new IllegalArgumentException("LoRA A must be [r, in] and B [out, r], got A "
                    + java.util.Arrays.toString(a.shape()) + " and B " + java.util.Arrays.toString(b.shape()));
        }
    }

    public long rank() {
        return a.size(0);
    }

    /** scale · B · A, [out, in]: what merging adds to the frozen weight. */
    public INDArray delta(double scale) {
        return b.mmul(a).muli(scale);
    }
}
