package dev.embedtune.model.training;

import dev.embedtune.model.st.PoolingConfig;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * sentence-transformers' Pooling (and optional Normalize) with forward and backward side by side,
 * on hidden states as [B·T, H] rows. Every mode but max is a weighted sum of token rows,
 * {@code p_b = Σ_t w[b,t]·h[b,t]}, so its backward is {@code dh[b,t] = w[b,t]·dp_b}:
 * cls (w = 1 at t = 0), mean (mask / count), mean_sqrt_len_tokens (mask / √count), weightedmean
 * (mask·position / Σ), lasttoken (1 at the last real token). Max sends dp to the arg-max token.
 * Normalize: {@code y = p / max(‖p‖, 1e-12)}, {@code dp = (dy − y·(y·dy)) / ‖p‖}.
 */
public final class TrainablePooling {
    private final PoolingConfig config;
    private final boolean normalize;
    private INDArray gradient;                   // backward's output memory, reused

    public TrainablePooling(PoolingConfig config, boolean normalize) {
        this.config = config;
        this.normalize = normalize;
    }

    /** What forward saves for backward. */
    public static final class Saved {
        INDArray[] weights;        // per mode: [B, T] token weights, or null for max
        INDArray[] argMax;         // per mode: [B, H] arg-max token index, for max
        INDArray pooled, output;   // before and after Normalize
        long batch, tokens, hidden;
    }

    /**
     * @param hidden [B·T, H] last_hidden_state rows
     * @param mask [B, T] attention mask in hidden's data type
     * @return the embeddings [B, D] (and {@code saved} filled for backward)
     */
    public INDArray forward(INDArray hidden, INDArray mask, Saved saved) {
        long b = mask.size(0), t = mask.size(1), h = hidden.size(1);
        saved.batch = b;
        saved.tokens = t;
        saved.hidden = h;
        List<PoolingConfig.Mode> modes = config.modes();
        saved.weights = new INDArray[modes.size()];
        saved.argMax = new INDArray[modes.size()];
        INDArray[] parts = new INDArray[modes.size()];
        INDArray h3 = hidden.reshape('c', b, t, h);
        for (int i = 0; i < modes.size(); i++) {
            if (modes.get(i) == PoolingConfig.Mode.MAX) {
                INDArray m3 = mask.reshape(b, t, 1).broadcast(b, t, h);
                INDArray filled = h3.mul(m3).addi(m3.rsub(1).muli(-1e9));
                saved.argMax[i] = filled.argMax(1);                                         // [B, H]
                parts[i] = filled.max(1);
            } else {
                INDArray w = tokenWeights(modes.get(i), mask);
                saved.weights[i] = w;
                // [B, 1, T] · [B, T, H] → [B, 1, H]
                parts[i] = Nd4j.matmul(w.reshape(b, 1, t), h3).reshape(b, h);
            }
        }
        INDArray pooled = parts.length == 1 ? parts[0] : Nd4j.concat(1, parts);
        saved.pooled = pooled;
        saved.output = normalize ? pooled.divColumnVector(Transforms.max(pooled.norm2(true, 1), 1e-12, false)) : pooled;
        return saved.output;
    }

    private INDArray tokenWeights(PoolingConfig.Mode mode, INDArray mask) {
        long b = mask.size(0), t = mask.size(1);
        return switch (mode) {
            case CLS -> {
                INDArray w = mask.ulike().assign(0);
                w.get(NDArrayIndex.all(), NDArrayIndex.point(0)).assign(1);
                yield w;
            }
            case MEAN -> mask.divColumnVector(Transforms.max(mask.sum(true, 1), 1e-9, false));
            case MEAN_SQRT_LEN_TOKENS -> mask.divColumnVector(Transforms.sqrt(Transforms.max(mask.sum(true, 1), 1e-9, false)));
            case WEIGHTEDMEAN -> {
                INDArray positions = Nd4j.linspace(1, t, t, mask.dataType()).reshape(1, t);
                INDArray w = mask.mulRowVector(positions);
                yield w.diviColumnVector(Transforms.max(w.sum(true, 1), 1e-9, false));
            }
            case LASTTOKEN -> {
                INDArray w = mask.ulike().assign(0);
                for (int i = 0; i < b; i++) {
                    int last = Math.max(0, mask.getRow(i).sumNumber().intValue() - 1);
                    w.putScalar(i, last, 1);
                }
                yield w;
            }
            case MAX -> throw new IllegalStateException("max pooling has no token weights");
        };
    }

    /**
     * @param dOutput [B, D] dL/d(embeddings)
     * @return dL/d(hidden) as [B·T, H] rows, in memory this pooling reuses: valid until its next
     *     backward call (every caller hands it straight to the encoder's backward)
     */
    public INDArray backward(INDArray dOutput, Saved saved) {
        long b = saved.batch, t = saved.tokens, h = saved.hidden;
        INDArray dPooled = dOutput;
        if (normalize) {
            INDArray norms = Transforms.max(saved.pooled.norm2(true, 1), 1e-12, false);
            INDArray y = saved.output;
            INDArray yDotDy = y.mul(dOutput).sum(true, 1);
            dPooled = dOutput.sub(y.mulColumnVector(yDotDy)).diviColumnVector(norms);
        }
        INDArray dHidden = gradientBuffer(dOutput.dataType(), b, t, h);
        boolean written = false;
        for (int i = 0; i < saved.weights.length; i++) {
            INDArray dp = dPooled.get(NDArrayIndex.all(), NDArrayIndex.interval(i * h, (i + 1) * h));
            if (saved.weights[i] != null) {
                // [B, T, 1] · [B, 1, H] → [B, T, H]: the first mode's product is written, later ones added
                INDArray w3 = saved.weights[i].reshape(b, t, 1), dp3 = dp.dup().reshape(b, 1, h);
                if (written) {
                    dHidden.addi(Nd4j.matmul(w3, dp3));
                } else {
                    Nd4j.matmul(w3, dp3, dHidden);
                }
            } else {
                if (!written) {
                    dHidden.assign(0);
                }
                for (int r = 0; r < b; r++) {
                    for (int c = 0; c < h; c++) {
                        long tok = saved.argMax[i].getLong(r, c);
                        dHidden.putScalar(new long[] {r, tok, c}, dHidden.getDouble(r, tok, c) + dp.getDouble(r, c));
                    }
                }
            }
            written = true;
        }
        return dHidden.reshape(b * t, h);
    }

    /**
     * A [B, T, H] array over memory kept from the previous backward (grown when a batch needs more):
     * a fresh array per call cost a MiniLM step about 40 ms of page faults and clearing.
     */
    private INDArray gradientBuffer(DataType type, long b, long t, long h) {
        long n = b * t * h;
        if (gradient == null || gradient.dataType() != type || gradient.length() < n) {
            gradient = Nd4j.createUninitialized(type, Math.max(n, gradient == null || gradient.dataType() != type ? 0 : 2 * gradient.length()));
        }
        return Nd4j.create(gradient.data(), new long[] {b, t, h}, new long[] {t * h, h, 1}, 0, 'c');
    }
}
