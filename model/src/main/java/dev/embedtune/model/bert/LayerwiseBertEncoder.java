package dev.embedtune.model.bert;

import dev.embedtune.model.Encoder;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.BertTrainingEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * BERT inference through the layer-by-layer forward of {@link BertTrainingEncoder} (no adapters):
 * the same last_hidden_state as the SameDiff {@link BertEncoder}, with the base linear weights
 * optionally held block-quantised (NF4, FP4, INT8) and dequantised into one scratch matrix per
 * shape just before each GEMM. Activation buffers are reused while the batch shape stays the
 * same, so one instance serves one thread at a time.
 */
public final class LayerwiseBertEncoder implements Encoder {
    private final BertTrainingEncoder encoder;
    private BertTrainingEncoder.Pass pass;

    public LayerwiseBertEncoder(BertConfig config, Map<String, INDArray> weights, BaseQuantization base) {
        this.encoder = new BertTrainingEncoder(config, weights, null, base, DataType.FLOAT);
    }

    public static LayerwiseBertEncoder load(BertConfig config, TensorSource weights, Path source, BaseQuantization base)
            throws IOException {
        return new LayerwiseBertEncoder(config, BertEncoder.readWeights(config, weights, source), base);
    }

    /** Bytes the base linear weights keep resident (packed when quantised). */
    public long baseLinearBytes() {
        return encoder.baseLinearBytes();
    }

    @Override
    public synchronized INDArray forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds) {
        pass = encoder.forwardInference(inputIds, attentionMask, tokenTypeIds, pass);
        return pass.hidden().reshape(pass.batch(), pass.tokens(), encoder.config().hiddenSize()).dup();
    }
}
