package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.List;

/**
 * An encoder at a Matryoshka dimension: the first {@code dim} values of the base embedding, then
 * L2-normalised (the evaluation rule of the shared data README).
 */
public final class MatryoshkaEncoder implements TextEncoder {

    private final TextEncoder base;
    private final int dim;

    public MatryoshkaEncoder(TextEncoder base, int dim) {
        if (dim < 1) {
            throw new IllegalArgumentException("Matryoshka dimension must be at least 1, got " + dim);
        }
        this.base = base;
        this.dim = dim;
    }

    public int dim() {
        return dim;
    }

    @Override
    public float[][] encode(List<String> texts) {
        float[][] full = base.encode(texts);
        float[][] out = new float[full.length][];
        for (int i = 0; i < full.length; i++) {
            if (full[i].length < dim) {
                throw new IllegalArgumentException("Matryoshka dimension " + dim
                        + " exceeds the model's embedding dimension of " + full[i].length);
            }
            out[i] = Encoding.l2Normalized(java.util.Arrays.copyOf(full[i], dim));
        }
        return out;
    }
}
