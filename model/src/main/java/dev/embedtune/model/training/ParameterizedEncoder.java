package dev.embedtune.model.training;

import dev.embedtune.model.lora.LoraModel;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What every training encoder shares: its {@link EncoderParameters}, its data type, and the accessors over them. */
abstract class ParameterizedEncoder implements TrainingEncoder {
    final EncoderParameters parameters;
    final DataType type;
    private boolean checkpointing;

    ParameterizedEncoder(EncoderParameters parameters, DataType type) {
        this.parameters = parameters;
        this.type = type;
    }

    /** Row seeds, when given, are one per batch row. */
    static void checkRowSeeds(long[] rowSeeds, int rows) {
        if (rowSeeds != null && rowSeeds.length != rows) {
            throw new IllegalArgumentException(rowSeeds.length + " dropout row seeds for " + rows + " rows");
        }
    }

    @Override
    public void setGradientCheckpointing(boolean enabled) {
        this.checkpointing = enabled;
    }

    @Override
    public boolean checkpointing() {
        return checkpointing;
    }

    @Override
    public DataType dataType() {
        return type;
    }

    @Override
    public Map<String, INDArray> parameters() {
        return parameters.parameters();
    }

    @Override
    public Map<String, INDArray> gradients() {
        return parameters.gradients();
    }

    @Override
    public void zeroGradients() {
        parameters.zeroGradients();
    }

    @Override
    public LoraModel currentAdapters() {
        return parameters.currentAdapters();
    }

    @Override
    public long baseLinearBytes() {
        return parameters.baseBytes();
    }

    @Override
    public long baseLinearParameters() {
        return parameters.baseParameters();
    }

    @Override
    public long scratchBytes() {
        return parameters.scratchBytes();
    }
}
