package dev.embedtune.model.training;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every training encoder's pass has: its shape, whether it is forward-only, the key mask, and
 * the rule for reusing it for the next batch.
 */
abstract class EncoderPass implements TrainingEncoder.Pass {
    final long batch, tokens;
    final boolean inference;
    final INDArray keyMask;                               // [B, T] in the encoder's data type

    EncoderPass(DataType type, long batch, long tokens, boolean inference) {
        this.batch = batch;
        this.tokens = tokens;
        this.inference = inference;
        this.keyMask = Nd4j.create(type, batch, tokens);
    }

    /**
     * {@code reusable} when it is a pass of {@code kind} that fits a forward of this shape, kind and
     * type; otherwise null, and {@code reusable} is closed (callers hand over a pass they no longer
     * need, and its native memory is freed at once).
     */
    static <P extends EncoderPass> P reuse(TrainingEncoder.Pass reusable, Class<P> kind, long batch, long tokens,
            boolean inference, DataType type) {
        if (kind.isInstance(reusable)) {
            P own = kind.cast(reusable);
            if (own.batch == batch && own.tokens == tokens && own.inference == inference && own.keyMask.dataType() == type) {
                return own;
            }
        }
        if (reusable != null) {
            reusable.close();
        }
        return null;
    }

    @Override
    public INDArray keyMask() {
        return keyMask;
    }

    @Override
    public long batch() {
        return batch;
    }

    @Override
    public long tokens() {
        return tokens;
    }
}
