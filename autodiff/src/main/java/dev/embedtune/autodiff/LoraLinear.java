package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.Gemm;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A frozen linear layer {@code y = x·Wᵀ + b} with optional LoRA adapters, made of one or more output
 * blocks side by side (BERT's query, key and value as one [N, 3H] GEMM: {@link #concat}); block i
 * computes {@code y_i = x·(W_i + s·B_i·A_i)ᵀ + b_i}, s = alpha/r (or alpha/√r for rsLoRA), A_i
 * {@code [r, in]}, B_i {@code [out_i, r]}.
 *
 * <p>Without LoRA dropout, forward and backward merge the adapters into the (dequantised) weight in
 * a shared scratch buffer, so each direction costs one large GEMM; the adapter gradients come from
 * low-rank products only:
 * <pre>
 *   dx = dy · (W + s·B·A)
 *   dB_i += s · dy_iᵀ · (x·A_iᵀ)          [out_i, r]
 *   dA_i += s · (dy_i·B_i)ᵀ · x           [r, in]
 * </pre>
 * With LoRA dropout (PEFT: {@code y_i = x·W_iᵀ + b_i + s·(drop_i(x)·A_iᵀ)·B_iᵀ}, a mask m_i of 0 and
 * 1/(1−p) per entry) only the adapter sees the dropped input, so it cannot be merged into W; the
 * low-rank path runs beside the base GEMM:
 * <pre>
 *   xd_i = x ⊙ m_i;   y_i = x·W_iᵀ + b_i + s·(xd_i·A_iᵀ)·B_iᵀ
 *   dx = dy·W + Σ_i m_i ⊙ s·(dy_i·B_i)·A_i
 *   dB_i += s · dy_iᵀ · (xd_i·A_iᵀ);   dA_i += s · (dy_i·B_i)ᵀ · xd_i
 * </pre>
 * W is never differentiated; b_i only when it trains ({@code db_i += Σ_rows dy_i}). The bias may be
 * left to the kernel that reads y next (it is added in the same pass as a norm, an activation or the
 * attention's head split): {@link #bias()} gives it. Inputs are {@code [N, in]} token rows.
 */
public final class LoraLinear {
    /** One output block: a frozen weight with its bias and adapter. */
    private record Block(FrozenWeight weight, INDArray bias, INDArray gradBias, INDArray a, INDArray b, INDArray gradA,
            INDArray gradB, long offset) {
        long out() {
            return weight.rows();
        }

        boolean adapted() {
            return a != null;
        }
    }

    private final Block[] blocks;
    private final long in, out;
    private final double scale;
    private final WeightScratch scratch;
    private final INDArray biasRow;                        // [out] the blocks' biases side by side, or null

    /**
     * @param weight the frozen base weight [out, in]
     * @param bias [out] or null
     * @param gradBias [out] the bias gradient accumulates into (a trainable bias), or null for a frozen one
     * @param a LoRA A [r, in], or null for a layer without adapter
     * @param b LoRA B [out, r], or null
     * @param gradA the buffer dA accumulates into (same shape as A), or null
     * @param gradB the buffer dB accumulates into, or null
     * @param scale s
     */
    public LoraLinear(FrozenWeight weight, INDArray bias, INDArray gradBias, INDArray a, INDArray b, INDArray gradA,
            INDArray gradB, double scale, WeightScratch scratch) {
        this(new Block[] {block(weight, bias, gradBias, a, b, gradA, gradB, 0)}, scale, scratch);
    }

    /** Without a trainable bias. */
    public LoraLinear(FrozenWeight weight, INDArray bias, INDArray a, INDArray b, INDArray gradA, INDArray gradB,
            double scale, WeightScratch scratch) {
        this(weight, bias, null, a, b, gradA, gradB, scale, scratch);
    }

    private LoraLinear(Block[] blocks, double scale, WeightScratch scratch) {
        this.blocks = blocks;
        this.in = blocks[0].weight.columns();
        long total = 0;
        for (Block blk : blocks) {
            if (blk.weight.columns() != in) {
                throw new IllegalArgumentException("blocks of one linear layer share its input: " + in + " and "
                        + blk.weight.columns() + " columns");
            }
            total += blk.out();
        }
        this.out = total;
        this.scale = scale;
        this.scratch = scratch;
        boolean anyBias = false;
        for (Block blk : blocks) {
            anyBias |= blk.bias != null;
        }
        this.biasRow = !anyBias ? null : blocks.length == 1 ? blocks[0].bias
                : Nd4j.create(scratch.dataType(), out);
    }

    private static Block block(FrozenWeight weight, INDArray bias, INDArray gradBias, INDArray a, INDArray b,
            INDArray gradA, INDArray gradB, long offset) {
        if (gradBias != null && bias == null) {
            throw new IllegalArgumentException("a bias gradient buffer needs a bias");
        }
        return new Block(weight, bias, gradBias, a, b, gradA, gradB, offset);
    }

    /**
     * The layers side by side on the output axis: one GEMM computes all of them (same input, the
     * same LoRA scale and scratch).
     */
    public static LoraLinear concat(LoraLinear... parts) {
        List<Block> all = new ArrayList<>();
        long offset = 0;
        for (LoraLinear part : parts) {
            if (part.scale != parts[0].scale && part.adapted() && parts[0].adapted()) {
                throw new IllegalArgumentException("concatenated linears share one LoRA scale");
            }
            for (Block blk : part.blocks) {
                all.add(block(blk.weight, blk.bias, blk.gradBias, blk.a, blk.b, blk.gradA, blk.gradB, offset));
                offset += blk.out();
            }
        }
        double scale = 0;
        for (LoraLinear part : parts) {
            if (part.adapted()) {
                scale = part.scale;
            }
        }
        return new LoraLinear(all.toArray(Block[]::new), scale, parts[0].scratch);
    }

    public long in() {
        return in;
    }

    public long out() {
        return out;
    }

    /** Output blocks (1, or 3 for a fused query/key/value). */
    public int blocks() {
        return blocks.length;
    }

    public boolean adapted() {
        for (Block blk : blocks) {
            if (blk.adapted()) {
                return true;
            }
        }
        return false;
    }

    /** The adapter rank (0 without adapters). */
    public long rank() {
        for (Block blk : blocks) {
            if (blk.adapted()) {
                return blk.a.size(0);
            }
        }
        return 0;
    }

    /** The bias [out] (the blocks' side by side, their current values), or null when there is none. */
    public INDArray bias() {
        if (biasRow != null && blocks.length > 1) {
            for (Block blk : blocks) {
                INDArray part = biasRow.get(NDArrayIndex.interval(blk.offset, blk.offset + blk.out()));
                if (blk.bias != null) {
                    part.assign(blk.bias);
                } else {
                    part.assign(0);
                }
            }
        }
        return biasRow;
    }

    /** The effective weight W + s·B·A [out, in] in the scratch buffer (valid until the next layer uses it). */
    public INDArray effectiveWeight() {
        return weight(true);
    }

    /** W (merged: W + s·B·A) in the scratch buffer. */
    private INDArray weight(boolean merged) {
        INDArray w = scratch.get(out, in);
        for (Block blk : blocks) {
            INDArray rows = blocks.length == 1 ? w : w.get(NDArrayIndex.interval(blk.offset, blk.offset + blk.out()), NDArrayIndex.all());
            blk.weight.writeTo(rows);
            if (merged && blk.adapted()) {
                Gemm.gemm(blk.b, blk.a, rows, false, false, scale, 1.0);
            }
        }
        return w;
    }

    /** Output block i's columns of y [N, out]. */
    private INDArray columns(INDArray y, Block blk) {
        return blocks.length == 1 ? y : y.get(NDArrayIndex.all(), NDArrayIndex.interval(blk.offset, blk.offset + blk.out()));
    }

    /**
     * y = x·W_effᵀ (+ b when {@code addBias}); with LoRA dropout masks, the unmerged form.
     *
     * @param x [N, in]
     * @param y [N, out], overwritten
     * @param xa per block, [N, r] receives (x or xd)·A_iᵀ for the backward (null for a block without adapter)
     * @param masks per block, the [N, in] LoRA dropout mask (0 or 1/(1−p)), or null for no dropout
     * @param work [N, in] scratch, overwritten (only with masks)
     */
    public void forward(INDArray x, INDArray y, INDArray[] xa, INDArray[] masks, INDArray work, boolean addBias) {
        boolean dropping = masks != null && adapted();
        Gemm.gemm(x, weight(!dropping), y, false, true, 1.0, 0.0);
        for (int i = 0; i < blocks.length; i++) {
            Block blk = blocks[i];
            if (!blk.adapted()) {
                continue;
            }
            if (!dropping) {
                Gemm.gemm(x, blk.a, xa[i], false, true, 1.0, 0.0);
            } else {
                INDArray xd = x.mul(masks[i], work);
                Gemm.gemm(xd, blk.a, xa[i], false, true, 1.0, 0.0);
                Gemm.gemm(xa[i], blk.b, columns(y, blk), false, true, scale, 1.0);
            }
        }
        if (addBias && biasRow != null) {
            y.addiRowVector(bias());
        }
    }

    /** One block, no dropout, bias added: y = x·W_effᵀ + b. */
    public void forward(INDArray x, INDArray y, INDArray xa) {
        forward(x, y, new INDArray[] {xa}, null, null, true);
    }

    /** One block: y = x·Wᵀ + b + s·(drop(x)·Aᵀ)·Bᵀ; the merged forward when {@code mask} is null. */
    public void forward(INDArray x, INDArray y, INDArray xa, INDArray mask, INDArray work) {
        forward(x, y, new INDArray[] {xa}, mask == null ? null : new INDArray[] {mask}, work, true);
    }

    /**
     * Adds the adapter (and trainable bias) gradients and writes (or adds) the input gradient.
     *
     * @param x the forward input [N, in]
     * @param xa as forward saved them
     * @param dy dL/dy [N, out]
     * @param dx [N, in] receives dL/dx, or null when no gradient needs to flow further back
     * @param accumulate add into dx instead of overwriting it
     * @param dyB a [N, r] work buffer (unused without adapters)
     * @param masks the forward's LoRA dropout masks, or null
     * @param work [N, in] scratch (only with masks)
     */
    public void backward(INDArray x, INDArray[] xa, INDArray dy, INDArray dx, boolean accumulate, INDArray dyB,
            INDArray[] masks, INDArray work) {
        boolean dropping = masks != null && adapted();
        for (int i = 0; i < blocks.length; i++) {
            Block blk = blocks[i];
            INDArray dyi = columns(dy, blk);
            if (blk.gradBias != null) {
                blk.gradBias.addi(dyi.sum(0));
            }
            if (blk.adapted()) {
                Gemm.gemm(dyi, xa[i], blk.gradB, true, false, scale, 1.0);
                Gemm.gemm(dyi, blk.b, dyB, false, false, 1.0, 0.0);
                Gemm.gemm(dyB, dropping ? x.mul(masks[i], work) : x, blk.gradA, true, false, scale, 1.0);
            }
        }
        if (dx == null) {
            return;
        }
        Gemm.gemm(dy, weight(!dropping), dx, false, false, 1.0, accumulate ? 1.0 : 0.0);
        if (dropping) {
            for (int i = 0; i < blocks.length; i++) {
                Block blk = blocks[i];
                if (blk.adapted()) {
                    Gemm.gemm(columns(dy, blk), blk.b, dyB, false, false, 1.0, 0.0);
                    Gemm.gemm(dyB, blk.a, work, false, false, scale, 0.0);
                    dx.addi(work.muli(masks[i]));
                }
            }
        }
    }

    /** One block: the backward of {@link #forward(INDArray, INDArray, INDArray, INDArray, INDArray)}. */
    public void backward(INDArray x, INDArray xa, INDArray dy, INDArray dx, boolean accumulate, INDArray dyB,
            INDArray mask, INDArray work) {
        backward(x, new INDArray[] {xa}, dy, dx, accumulate, dyB, mask == null ? null : new INDArray[] {mask}, work);
    }

    /** One block, no dropout. */
    public void backward(INDArray x, INDArray xa, INDArray dy, INDArray dx, boolean accumulate, INDArray dyB) {
        backward(x, xa, dy, dx, accumulate, dyB, null, null);
    }

    /** The trainable bias gradient of block i's bias, or null (for kernels that sum it themselves). */
    INDArray gradBias(int i) {
        return blocks[i].gradBias;
    }
}
