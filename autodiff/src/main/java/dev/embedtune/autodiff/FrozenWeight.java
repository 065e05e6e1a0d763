package dev.embedtune.autodiff;

import dev.embedtune.quant.Dequantizer;
import dev.embedtune.quant.QuantizedTensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A frozen linear weight {@code [out, in]}, kept dense or only in packed (quantised) form. Layers
 * ask for the dense values in a scratch buffer when they need them, so a quantised model holds its
 * base weights packed and only one dense matrix per shape at a time.
 */
public interface FrozenWeight {

    long rows();

    long columns();

    /** Writes the dense weight into {@code out} ({@code [rows, columns]}, any floating type). */
    void writeTo(INDArray out);

    /** Bytes this weight keeps resident. */
    long residentBytes();

    /** The weight itself when it is held dense (no copy needed to multiply by it), else null. */
    default INDArray dense() {
        return null;
    }

    /** A dense weight held as is. */
    static FrozenWeight dense(INDArray weight) {
        return new FrozenWeight() {
            public long rows() {
                return weight.size(0);
            }

            public long columns() {
                return weight.size(1);
            }

            public void writeTo(INDArray out) {
                out.assign(weight);
            }

            public long residentBytes() {
                return weight.length() * weight.dataType().width();
            }

            public INDArray dense() {
                return weight;
            }
        };
    }

    /** A block-quantised weight, dequantised into the caller's buffer on every use. */
    static FrozenWeight quantized(QuantizedTensor q) {
        if (q.shape().length != 2) {
            throw new IllegalArgumentException("a linear weight must be [out, in], found rank " + q.shape().length);
        }
        return new FrozenWeight() {
            public long rows() {
                return q.shape()[0];
            }

            public long columns() {
                return q.shape()[1];
            }

            public void writeTo(INDArray out) {
                Dequantizer.dequantizeInto(q, out);
            }

            public long residentBytes() {
                return q.bytes();
            }
        };
    }
}
