package dev.embedtune.autodiff.kernels;

import dev.embedtune.autodiff.TokenLayout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Scaled dot-product attention over the packed token rows of a {@link TokenLayout}, each sequence
 * attending to its own tokens only, from a fused projection {@code qkv [N, 3H]} (column blocks q, k,
 * v; H = N_heads · D) whose bias is added here:
 * <pre>
 *   q, k, v = qkv + b  (per block);   q, k = RoPE(q), RoPE(k) by position   (when rotary)
 *   P = softmax(q·kᵀ / √D)  over the visible keys (the sequence's own; within reach on local layers)
 *   C = (P ⊙ m) · v                                                         (m: dropout mask)
 * backward:
 *   dv = (P ⊙ m)ᵀ · dC,   dP = (dC · vᵀ) ⊙ m,   dS = P ⊙ (dP − rowsum(dC ⊙ C)) / √D,
 *   dq = dS · k,   dk = dSᵀ · q,   then RoPE⁻¹ on dq, dk                     (into dqkv [N, 3H])
 * </pre>
 * (rowsum(dP ⊙ P) = rowsum(dC ⊙ C), so the backward needs no stored P.)
 *
 * <p>The CPU fast path ({@link VectorAttention}) runs one (sequence, head) block per task over its
 * real length, query rows in blocks, and keeps only a log-sum-exp per (row, head) from the forward:
 * the backward recomputes P block by block, so no [B, N, T, T] tensor is ever held. The portable
 * version pads the projections to {@code [B·T, H]} and runs batched GEMMs and a masked softmax in
 * ND4J ops (every backend); it recomputes P in its backward too.
 *
 * <p>The dropout mask of (sequence b, head n, query position i, key position j) is
 * {@link DropoutMask#value} at index {@code (n·T + i)·T + j} of the sequence's block (T the batch's
 * padded length), the same on both paths.
 */
public final class PackedAttention {
    private PackedAttention() {
    }

    /**
     * @param qkv [N, 3H] projections without bias; bias [3H] or null
     * @param context [N, H] receives C
     * @param logSumExp [N, heads] receives each softmax row's log Σ exp (read by the fast backward)
     */
    public static void forward(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings settings,
            INDArray context, INDArray logSumExp) {
        check(layout, qkv, context, settings);
        if (KernelPath.fast(qkv, bias, context, logSumExp)) {
            VectorAttention.forward(layout, qkv, bias, settings, context, logSumExp);
        } else {
            forwardPortable(layout, qkv, bias, settings, context);
        }
    }

    /**
     * @param context, logSumExp as the forward wrote them
     * @param dContext [N, H] dL/dC
     * @param dQkv [N, 3H] receives dL/d(qkv) (the bias's gradient is its column sum)
     */
    public static void backward(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings settings,
            INDArray context, INDArray logSumExp, INDArray dContext, INDArray dQkv) {
        check(layout, qkv, context, settings);
        if (KernelPath.fast(qkv, bias, context, logSumExp, dContext, dQkv)) {
            VectorAttention.backward(layout, qkv, bias, settings, context, logSumExp, dContext, dQkv);
        } else {
            backwardPortable(layout, qkv, bias, settings, dContext, dQkv);
        }
    }

    private static void check(TokenLayout layout, INDArray qkv, INDArray context, AttentionSettings settings) {
        long h = context.size(1);
        if (qkv.size(0) != layout.rows() || context.size(0) != layout.rows() || qkv.size(1) != 3 * h
                || h % settings.heads() != 0) {
            throw new IllegalArgumentException("attention over " + layout.rows() + " rows: qkv "
                    + java.util.Arrays.toString(qkv.shape()) + ", context " + java.util.Arrays.toString(context.shape())
                    + ", " + settings.heads() + " heads");
        }
    }

    // ---- portable version: padded, ND4J ops ----

    /** The padded q, k, v ([B·T, H] each, zero rows at padding) after bias and RoPE. */
    private static INDArray[] paddedProjections(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings s) {
        long h = qkv.size(1) / 3;
        INDArray[] out = new INDArray[3];
        for (int i = 0; i < 3; i++) {
            INDArray x = qkv.get(NDArrayIndex.all(), NDArrayIndex.interval(i * h, (i + 1) * h)).dup('c');
            if (bias != null) {
                x.addiRowVector(bias.get(NDArrayIndex.interval(i * h, (i + 1) * h)));
            }
            if (s.rotary() && i < 2) {
                x = rotate(layout, x, s, false);
            }
            out[i] = pad(layout, x);
        }
        return out;
    }

    /** [N, W] packed rows → [B·T, W] with zero rows at padding. */
    static INDArray pad(TokenLayout layout, INDArray packed) {
        int b = layout.batch(), t = layout.paddedLength(), n = layout.rows();
        int[] index = new int[b * t];
        java.util.Arrays.fill(index, n);                              // the zero row
        for (int r = 0; r < n; r++) {
            index[layout.paddedRow(r)] = r;
        }
        INDArray source = Nd4j.concat(0, packed, Nd4j.zeros(packed.dataType(), 1, packed.size(1)));
        return gather(source, index);
    }

    /** [B·T, W] → the packed rows [N, W]. */
    static INDArray unpad(TokenLayout layout, INDArray padded) {
        return gather(padded, layout.paddedRows());
    }

    private static INDArray gather(INDArray source, int[] rows) {
        INDArray out = Nd4j.create(source.dataType(), rows.length, source.size(1));
        Gather g = new Gather(source, Nd4j.createFromArray(rows), 0);
        g.addOutputArgument(out);
        Nd4j.exec(g);
        return out;
    }

    /**
     * Rotate-half RoPE on packed rows, each by its position ({@code inverse}: the transpose, sin
     * negated): y₁ = x₁·c − x₂·s, y₂ = x₂·c + x₁·s per head.
     */
    static INDArray rotate(TokenLayout layout, INDArray x, AttentionSettings s, boolean inverse) {
        int n = layout.rows(), heads = s.heads();
        long d = x.size(1) / heads, half = d / 2;
        int[] positions = new int[n];
        for (int r = 0; r < n; r++) {
            positions[r] = layout.position(r);
        }
        INDArray cos = gather(s.cos().castTo(x.dataType()), positions);                 // [N, D/2]
        INDArray sin = gather(s.sin().castTo(x.dataType()), positions);
        if (inverse) {
            sin.negi();
        }
        INDArray xv = x.reshape('c', n, heads, d), y = Nd4j.create(x.dataType(), n, x.size(1));
        INDArray yv = y.reshape('c', n, heads, d);
        INDArray x1 = xv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = xv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, d));
        INDArray y1 = yv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray y2 = yv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, d));
        INDArray work = Nd4j.create(x.dataType(), n, heads, half);
        Nd4j.exec(new BroadcastMulOp(x1, cos, work, 0, 2));
        Nd4j.exec(new BroadcastMulOp(x2, sin, y1, 0, 2));
        y1.rsubi(work);                                                                  // x₁c − x₂s
        Nd4j.exec(new BroadcastMulOp(x2, cos, work, 0, 2));
        Nd4j.exec(new BroadcastMulOp(x1, sin, y2, 0, 2));
        y2.addi(work);                                                                   // x₂c + x₁s
        return y;
    }

    /** 1 where query i of sequence b sees key j: [B, T] (all keys) or [B, T, T] (within reach). */
    private static INDArray visibility(TokenLayout layout, AttentionSettings s, DataType type) {
        int b = layout.batch(), t = layout.paddedLength();
        boolean[][] real = new boolean[b][t];
        for (int r = 0; r < layout.rows(); r++) {
            real[layout.sequence(r)][layout.position(r)] = true;
        }
        if (s.reach() == AttentionSettings.GLOBAL) {
            double[][] mask = new double[b][t];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    mask[i][j] = real[i][j] ? 1 : 0;
                }
            }
            return Nd4j.createFromArray(mask).castTo(type);
        }
        double[] mask = new double[b * t * t];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                for (int k = Math.max(0, q - s.reach()); k <= Math.min(t - 1, (long) q + s.reach()); k++) {
                    mask[(i * t + q) * t + k] = real[i][k] ? 1 : 0;
                }
                if (!real[i][q]) {
                    mask[(i * t + q) * t + q] = 1;                    // a padded query sees itself: no empty row
                }
            }
        }
        return Nd4j.createFromArray(mask).reshape(b, t, t).castTo(type);
    }

    private static INDArray dropoutMask(TokenLayout layout, AttentionSettings s, DataType type) {
        int b = layout.batch(), t = layout.paddedLength();
        INDArray mask = Nd4j.create(type, b, s.heads(), t, t);
        DropoutMask.fillPortable(mask, s.dropout(), s.rowSeeds(), s.site());
        return mask;
    }

    /** The probabilities P [B, N, T, T] of the padded projections. */
    private static INDArray probabilities(TokenLayout layout, INDArray[] qkv, AttentionSettings s) {
        int b = layout.batch(), t = layout.paddedLength();
        double scale = 1 / Math.sqrt(qkv[0].size(1) / (double) s.heads());
        INDArray probs = Nd4j.create(qkv[0].dataType(), b, s.heads(), t, t);
        HeadProducts.scoresPortable(qkv[0], qkv[1], b, t, s.heads(), probs);
        MaskedSoftmax.forwardPortable(probs, visibility(layout, s, probs.dataType()), scale, probs);
        return probs;
    }

    public static void forwardPortable(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings s,
            INDArray context) {
        int b = layout.batch(), t = layout.paddedLength();
        INDArray[] p = paddedProjections(layout, qkv, bias, s);
        INDArray probs = probabilities(layout, p, s);
        if (s.dropping()) {
            probs.muli(dropoutMask(layout, s, probs.dataType()));
        }
        INDArray padded = Nd4j.create(qkv.dataType(), (long) b * t, context.size(1));
        HeadProducts.weightedPortable(probs, p[2], false, b, t, s.heads(), padded);
        context.assign(unpad(layout, padded));
    }

    public static void backwardPortable(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings s,
            INDArray dContext, INDArray dQkv) {
        int b = layout.batch(), t = layout.paddedLength(), heads = s.heads();
        long h = dContext.size(1);
        double scale = 1 / Math.sqrt(h / (double) heads);
        INDArray[] p = paddedProjections(layout, qkv, bias, s);
        INDArray probs = probabilities(layout, p, s);
        INDArray drop = s.dropping() ? dropoutMask(layout, s, probs.dataType()) : null;
        INDArray dropped = drop == null ? probs : probs.mul(drop);
        INDArray dC = pad(layout, dContext);
        INDArray dq = Nd4j.create(qkv.dataType(), (long) b * t, h), dk = dq.ulike(), dv = dq.ulike();
        HeadProducts.weightedPortable(dropped, dC, true, b, t, heads, dv);                  // dv = P'ᵀ·dC
        INDArray dP = Nd4j.create(qkv.dataType(), b, heads, t, t);
        HeadProducts.scoresPortable(dC, p[2], b, t, heads, dP);                              // dP' = dC·vᵀ
        if (drop != null) {
            dP.muli(drop);
        }
        MaskedSoftmax.backwardPortable(probs, dP, scale, dP);                                // dS
        HeadProducts.weightedPortable(dP, p[1], false, b, t, heads, dq);                     // dq = dS·k
        HeadProducts.weightedPortable(dP, p[0], true, b, t, heads, dk);                      // dk = dSᵀ·q
        INDArray[] grads = {unpad(layout, dq), unpad(layout, dk), unpad(layout, dv)};
        for (int i = 0; i < 3; i++) {
            INDArray g = s.rotary() && i < 2 ? rotate(layout, grads[i], s, true) : grads[i];
            dQkv.get(NDArrayIndex.all(), NDArrayIndex.interval(i * h, (i + 1) * h)).assign(g);
        }
    }
}
