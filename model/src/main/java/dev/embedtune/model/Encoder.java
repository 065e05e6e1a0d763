package dev.embedtune.model;

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
}
