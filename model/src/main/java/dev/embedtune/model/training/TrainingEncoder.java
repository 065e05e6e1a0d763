package dev.embedtune.model.training;

import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraModel;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An encoder with LoRA adapters written layer by layer over ND4J ops, with a hand-written backward
 * that computes the adapters' gradients only (base weights dense or block-quantised, frozen).
 * {@link BertTrainingEncoder} and {@link ModernBertTrainingEncoder} implement it; the trainer sees
 * only this.
 */
public interface TrainingEncoder {

    /** The activations of one forward pass, kept for its backward, reusable for a batch of the same shape. */
    interface Pass {
        /** last_hidden_state as [B·T, H] rows (valid until the pass is reused). */
        INDArray hidden();

        /** The attention mask [B, T] in the encoder's data type. */
        INDArray keyMask();

        long batch();

        long tokens();

        /** Frees the pass's native buffers now; it must not be used afterwards. */
        void close();
    }

    /**
     * The training encoder of {@code config}'s architecture with the model's own dropout in train-mode
     * forwards: every overload that does not say defaults to dropout on, as sentence-transformers trains
     * (and as the encoders' constructors do); eval-mode forwards never drop.
     */
    static TrainingEncoder create(ModelConfig config, Map<String, INDArray> weights, LoraModel lora,
            BaseQuantization base, DataType type) {
        return create(config, weights, lora, base, type, true);
    }

    /**
     * @param modelDropout apply the model's own dropout (BERT's hidden and attention dropout,
     *     ModernBERT's embedding, attention and MLP dropout) in a train-mode forward, as
     *     sentence-transformers trains; LoRA dropout applies either way
     */
    static TrainingEncoder create(ModelConfig config, Map<String, INDArray> weights, LoraModel lora,
            BaseQuantization base, DataType type, boolean modelDropout) {
        if (config instanceof BertConfig bert) {
            return new BertTrainingEncoder(bert, weights, lora, base, type, modelDropout);
        }
        return new ModernBertTrainingEncoder((ModernBertConfig) config, weights, lora, base, type, modelDropout);
    }

    /**
     * The dropout seeds of rows [firstRow, firstRow + rows) of a batch seeded with {@code seed}: a row's
     * masks depend on its seed and position in the whole batch only, so a slice of rows (a GradCache
     * mini-batch) draws the masks it gets in the full batch.
     */
    static long[] rowSeeds(long seed, int firstRow, int rows) {
        long[] out = new long[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = DropoutMask.rowSeed(seed, firstRow + i);
        }
        return out;
    }

    /**
     * Runs the encoder in eval mode (no dropout), saving what backward needs in {@code reuse} when it
     * fits the batch (else in a new pass, and {@code reuse} is closed: callers hand over a pass they
     * no longer need).
     *
     * @param tokenTypeIds [B, T]; ignored by architectures without token types
     */
    Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Pass reuse);

    /**
     * The forward in train mode when {@code rowSeeds} is given (one per batch row, see {@link #rowSeeds}):
     * dropout masks are drawn from them and kept for the backward, so the same seeds reproduce the
     * same pass exactly. Null seeds: eval mode.
     */
    Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Pass reuse, long[] rowSeeds);

    /** The same last_hidden_state in a pass that keeps only two layers' activations and cannot be back-propagated. */
    Pass forwardInference(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Pass reuse);

    /** Adds the adapters' gradients for dL/d(last_hidden_state) {@code dHidden} [B·T, H] of {@code pass}. */
    void backward(Pass pass, INDArray dHidden);

    /**
     * Gradient checkpointing (Hugging Face's {@code gradient_checkpointing}): training passes keep
     * each layer's input only, and the backward runs each layer's forward again (with the same
     * dropout seeds) just before its backward. The gradients are the same bits; a pass's activation
     * memory falls to about one layer's plus an [N, H] array a layer, for about one more forward of
     * compute. Applies to passes begun after the call.
     */
    void setGradientCheckpointing(boolean enabled);

    boolean checkpointing();

    /**
     * The activation memory, in bytes, of one pass over {@code batch} sequences padded to
     * {@code paddedLength} with {@code realTokens} real tokens in all: a training pass (kept for its
     * backward, under the current checkpointing setting) or a forward-only one. Measured on the pass's
     * own layout without allocating it.
     */
    long passBytes(int batch, int paddedLength, long realTokens, boolean training);

    ModelConfig modelConfig();

    DataType dataType();

    /**
     * The trainable tensors: adapter matrices by {@code <module path>.lora_A.weight} / {@code .lora_B.weight},
     * and trained base tensors (biases, norms) by their Hugging Face names, in module order.
     */
    Map<String, INDArray> parameters();

    /** Gradient buffers with the names of {@link #parameters()}; {@link #backward} adds into them. */
    Map<String, INDArray> gradients();

    void zeroGradients();

    /** The adapters and trained base tensors with their current values, as float32 (for saving in PEFT's layout). */
    LoraModel currentAdapters();

    /** Bytes the base linear weights keep resident, and how many parameters they hold. */
    long baseLinearBytes();

    long baseLinearParameters();

    /** Bytes of the shared dense scratch buffers (one per weight shape). */
    long scratchBytes();
}
