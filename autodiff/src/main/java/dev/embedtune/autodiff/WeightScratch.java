package dev.embedtune.autodiff;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One dense buffer per weight shape, shared by every linear layer of a model. Layers run one
 * after another, so each fills the buffer just before its GEMM; this keeps quantised base weights
 * resident only in packed form, and a merged {@code W + s·B·A} costs no memory per layer.
 */
public final class WeightScratch {
    private final DataType dataType;
    private final Map<String, INDArray> buffers = new HashMap<>();

    public WeightScratch(DataType dataType) {
        this.dataType = dataType;
    }

    public DataType dataType() {
        return dataType;
    }

    /** The buffer for {@code [rows, columns]}, allocated on first use. */
    public INDArray get(long rows, long columns) {
        return buffers.computeIfAbsent(rows + "x" + columns, k -> Nd4j.create(dataType, rows, columns));
    }

    /** Bytes held by all buffers. */
    public long bytes() {
        return buffers.values().stream().mapToLong(b -> b.length() * b.dataType().width()).sum();
    }
}
