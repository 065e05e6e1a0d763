package dev.embedtune.model.embed;

import dev.embedtune.model.Encoder;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.TrainingEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Inference through the layer-by-layer forward of the training encoders (BERT or ModernBERT, no
 * adapters): the same last_hidden_state as the SameDiff graphs, with the base linear weights
 * optionally held block-quantised (NF4, FP4, INT8) and dequantised into one scratch matrix per
 * shape just before each GEMM. Only the batch's real tokens are computed (padding is 0 in the
 * result). Activation memory is reused from batch to batch, so one instance runs one forward at a
 * time (callers are serialised; {@link Embedder} merges concurrent callers' batches).
 */
public final class LayerwiseEncoder implements Encoder {
    private final TrainingEncoder encoder;
    private final int hidden;
    private TrainingEncoder.Pass pass;

    public LayerwiseEncoder(ModelConfig config, Map<String, INDArray> weights, BaseQuantization base) {
        this.encoder = TrainingEncoder.create(config, weights, null, base, DataType.FLOAT);
        this.hidden = config.hiddenSize();
    }

    public static LayerwiseEncoder load(ModelConfig config, TensorSource weights, Path source, BaseQuantization base)
            throws IOException {
        return new LayerwiseEncoder(config, EncoderWeights.read(config, weights, source), base);
    }

    /** Bytes the base linear weights keep resident (packed when quantised). */
    public long baseLinearBytes() {
        return encoder.baseLinearBytes();
    }

    @Override
    public synchronized INDArray forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds) {
        pass = encoder.forwardInference(inputIds, attentionMask, tokenTypeIds, pass);
        return pass.hidden().reshape(pass.batch(), pass.tokens(), hidden).dup();
    }
}
