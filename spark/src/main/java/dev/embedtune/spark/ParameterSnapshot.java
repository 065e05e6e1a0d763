package dev.embedtune.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainable tensors' values (or gradients) by name, in the model's parameter order, as plain
 * float arrays: what the driver broadcasts after each optimizer step and what each task returns.
 */
public record ParameterSnapshot(List<String> names, float[][] values) implements Serializable {

    public static ParameterSnapshot of(Map<String, INDArray> tensors) {
        List<String> names = new ArrayList<>(tensors.keySet());
        float[][] values = new float[names.size()][];
        for (int i = 0; i < values.length; i++) {
            values[i] = tensors.get(names.get(i)).castTo(DataType.FLOAT).dup('c').data().asFloat();
        }
        return new ParameterSnapshot(names, values);
    }

    /** Copies the values into {@code tensors} (same names, order and sizes, else an error naming the tensor). */
    public void copyInto(Map<String, INDArray> tensors) {
        if (!names.equals(new ArrayList<>(tensors.keySet()))) {
            throw new IllegalStateException("the executor's model has parameters " + tensors.keySet()
                    + ", the driver sent " + names + ": driver and executors must build the model from the same spec");
        }
        for (int i = 0; i < values.length; i++) {
            INDArray t = tensors.get(names.get(i));
            if (t.length() != values[i].length) {
                throw new IllegalStateException("parameter " + names.get(i) + ": " + t.length() + " values on the executor, "
                        + values[i].length + " from the driver");
            }
            t.assign(org.nd4j.linalg.factory.Nd4j.createFromArray(values[i]).reshape(t.shape()).castTo(t.dataType()));
        }
    }

    /** Whether the values equal {@code tensors}' bit for bit. */
    public boolean sameValues(ParameterSnapshot other) {
        if (!names.equals(other.names)) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (!Arrays.equals(values[i], other.values[i])) {
                return false;
            }
        }
        return true;
    }

    /** 4 bytes per value. */
    public long bytes() {
        long n = 0;
        for (float[] v : values) {
            n += v.length;
        }
        return 4 * n;
    }
}
