package dev.embedtune.model;

import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A transformer encoder: token ids in, last_hidden_state out. Implemented by BERT and ModernBERT. */
public interface Encoder {
    /**
     * @param inputIds      [B, T]
     * @param attentionMask [B, T] 1 token, 0 padding
     * @param tokenTypeIds  [B, T] segment ids (ignored by models without token types)
     * @return last_hidden_state [B, T, H], float32
     */
    INDArray forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds);

    /**
     * Runs {@link #forward} and hands last_hidden_state to {@code use}, returning its result. An
     * encoder that reuses its activation memory from pass to pass passes its own buffer (no copy),
     * valid only during the call: {@code use} must not keep it or return a view of it (pool it,
     * copy what it needs).
     */
    default <R> R forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Function<INDArray, R> use) {
        return use.apply(forward(inputIds, attentionMask, tokenTypeIds));
    }
}
