package dev.embedtune.model.training;

import dev.embedtune.autodiff.Arena;
import dev.embedtune.autodiff.TokenLayout;
import dev.embedtune.autodiff.kernels.RowCopy;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every training encoder's pass has: its activation {@link Arena}, the batch's
 * {@link TokenLayout}, whether it is forward-only, the padded outputs the trainer reads
 * ({@code last_hidden_state} as {@code [B·T, H]} rows, the key mask {@code [B, T]}), and the rule for
 * reusing it for the next batch: a pass of the same kind and type is re-bound to any batch, its
 * arrays re-taken from the same memory.
 */
abstract class EncoderPass implements TrainingEncoder.Pass {
    final Arena arena;
    final boolean inference;
    final boolean checkpointing;                          // gradient checkpointing: layers recomputed in the backward
    TokenLayout layout;
    INDArray keyMask;                                     // [B, T] in the encoder's data type
    INDArray hidden;                                      // [B·T, H] last_hidden_state, zero at padding

    EncoderPass(DataType type, boolean inference, boolean checkpointing) {
        this.arena = new Arena(type);
        this.inference = inference;
        this.checkpointing = checkpointing;
    }

    /**
     * {@code reusable} when it is a pass of {@code kind} with this kind of work and type; otherwise
     * null, and {@code reusable} is closed (callers hand over a pass they no longer need, and its
     * native memory is freed at once).
     */
    static <P extends EncoderPass> P reuse(TrainingEncoder.Pass reusable, Class<P> kind, boolean inference,
            boolean checkpointing, DataType type) {
        if (kind.isInstance(reusable)) {
            P own = kind.cast(reusable);
            if (own.inference == inference && own.checkpointing == checkpointing && own.arena.dataType() == type) {
                return own;
            }
        }
        if (reusable != null) {
            reusable.close();
        }
        return null;
    }

    /** Takes every array of a pass over {@code layout} from the arena, growing it if needed. */
    final void bind(TokenLayout layout, long hiddenSize) {
        this.layout = layout;
        arena.fit(from -> takeAll(from, layout.batch(), layout.paddedLength(), layout.rows(), hiddenSize));
    }

    private void takeAll(Arena from, long batch, long paddedLength, long rows, long hiddenSize) {
        keyMask = from.take(batch, paddedLength);
        hidden = from.take(batch * paddedLength, hiddenSize);
        takeArrays(from, rows);
    }

    /** The activation bytes of this kind of pass over {@code batch} sequences of {@code paddedLength}, {@code rows} real tokens. */
    final long bytesFor(long batch, long paddedLength, long rows, long hiddenSize) {
        return Arena.measure(arena.dataType(), counter -> takeAll(counter, batch, paddedLength, rows, hiddenSize));
    }

    /** Takes the pass's own arrays for N = {@code rows} tokens, every one from {@code from}. */
    abstract void takeArrays(Arena from, long rows);

    /** Fills the key mask [B, T] from the batch's attention mask. */
    final void setKeyMask(int[][] attentionMask) {
        double[] mask = new double[layout.batch() * layout.paddedLength()];
        for (int b = 0; b < layout.batch(); b++) {
            for (int j = 0; j < layout.paddedLength(); j++) {
                mask[b * layout.paddedLength() + j] = attentionMask[b][j];
            }
        }
        keyMask.assign(Nd4j.createFromArray(mask).reshape(layout.batch(), layout.paddedLength()));
    }

    /** Writes the packed last layer's rows [N, H] into the padded {@link #hidden} (zero at padding). */
    final void unpack(INDArray packed) {
        if (!layout.isDense()) {
            hidden.assign(0);
        }
        RowCopy.scatter(packed, layout.paddedRows(), hidden);
    }

    /** The gradient of the padded last_hidden_state [B·T, H] as packed rows [N, H] (into {@code out}). */
    final INDArray pack(INDArray dHidden, INDArray out) {
        RowCopy.gather(dHidden, layout.paddedRows(), out);
        return out;
    }

    @Override
    public INDArray hidden() {
        return hidden;
    }

    @Override
    public INDArray keyMask() {
        return keyMask;
    }

    @Override
    public long batch() {
        return layout.batch();
    }

    @Override
    public long tokens() {
        return layout.paddedLength();
    }

    /** The batch's token layout (real tokens packed). */
    public TokenLayout layout() {
        return layout;
    }

    /** Bytes of activation memory the pass holds. */
    public long bytes() {
        return arena.capacity() * arena.dataType().width();
    }

    @Override
    public void close() {
        arena.close();
    }
}
