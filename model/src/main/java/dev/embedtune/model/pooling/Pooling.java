package dev.embedtune.model.pooling;

import dev.embedtune.model.st.PoolingConfig;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * sentence-transformers' Pooling module over token embeddings, with ND4J ops (portable to any
 * backend). Shapes: hidden [B, T, H], mask [B, T] (1 token, 0 padding); result [B, H·modes] with
 * the modes concatenated in {@link PoolingConfig#modes()} order, as sentence-transformers does.
 */
public final class Pooling {
    private Pooling() {
    }

    /**
     * @param promptLength tokens at the start that belong to the prompt ([CLS] included); when the
     *                     config excludes the prompt they are masked out of pooling (0 = none)
     */
    public static INDArray pool(PoolingConfig config, INDArray hidden, INDArray mask, int promptLength) {
        INDArray m = mask.castTo(DataType.FLOAT).dup();                                     // [B, T]
        if (!config.includePrompt() && promptLength > 0) {
            m.get(NDArrayIndex.all(), NDArrayIndex.interval(0, Math.min(promptLength, m.size(1)))).assign(0);
        }
        List<INDArray> parts = new ArrayList<>();
        for (PoolingConfig.Mode mode : config.modes()) {
            parts.add(switch (mode) {
                case CLS -> hidden.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).dup();
                case MEAN -> maskedSum(hidden, m).diviColumnVector(clampedCount(m));
                case MEAN_SQRT_LEN_TOKENS -> maskedSum(hidden, m).diviColumnVector(Transforms.sqrt(clampedCount(m)));
                case MAX -> max(hidden, m);
                case WEIGHTEDMEAN -> weightedMean(hidden, m);
                case LASTTOKEN -> lastToken(hidden, m);
            });
        }
        return parts.size() == 1 ? parts.get(0) : Nd4j.concat(1, parts.toArray(INDArray[]::new));
    }

    /** Σ_t mask[b,t] · hidden[b,t,:]  → [B, H] */
    private static INDArray maskedSum(INDArray hidden, INDArray m) {
        // One batched [1, T]·[T, H] product per text: broadcasting the mask to [B, T, H] and summing
        // over the middle axis took tens of ms a batch (a fresh [B, T, H] array, a strided reduction).
        INDArray weights = m.castTo(hidden.dataType()).reshape(m.size(0), 1, m.size(1));
        return Nd4j.matmul(weights, hidden).reshape(hidden.size(0), hidden.size(2));
    }

    /** Token counts as a column [B, 1], at least 1e-9 (sentence-transformers' clamp). */
    private static INDArray clampedCount(INDArray m) {
        return Transforms.max(m.sum(true, 1), 1e-9, false);
    }

    /** Padded tokens are set to -1e9 before the max, as sentence-transformers does. */
    private static INDArray max(INDArray hidden, INDArray m) {
        INDArray m3 = m.reshape(m.size(0), m.size(1), 1).broadcast(hidden.shape());
        INDArray filled = hidden.mul(m3).add(m3.rsub(1).muli(-1e9));
        return filled.max(1);
    }

    /** Position-weighted mean: weights 1..T on real tokens (sentence-transformers' weightedmean). */
    private static INDArray weightedMean(INDArray hidden, INDArray m) {
        INDArray positions = Nd4j.linspace(1, m.size(1), m.size(1), DataType.FLOAT).reshape(1, m.size(1));
        INDArray w = m.mulRowVector(positions);
        return maskedSum(hidden, w).diviColumnVector(Transforms.max(w.sum(true, 1), 1e-9, false));
    }

    /** The last real token of each (right-padded) row. */
    private static INDArray lastToken(INDArray hidden, INDArray m) {
        long b = hidden.size(0);
        INDArray out = Nd4j.create(DataType.FLOAT, b, hidden.size(2));
        for (int i = 0; i < b; i++) {
            int last = Math.max(0, m.getRow(i).sumNumber().intValue() - 1);
            out.putRow(i, hidden.get(NDArrayIndex.point(i), NDArrayIndex.point(last), NDArrayIndex.all()));
        }
        return out;
    }

    /** Row-wise L2 normalisation with PyTorch's F.normalize epsilon (1e-12), as the Normalize module does. */
    public static INDArray normalize(INDArray pooled) {
        INDArray norms = Transforms.max(pooled.norm2(true, 1), 1e-12, false);
        return pooled.divColumnVector(norms);
    }
}
