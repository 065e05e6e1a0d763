package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.AttentionSettings;
import dev.embedtune.autodiff.kernels.BiasGelu;
import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.autodiff.kernels.PackedAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One post-LN BERT layer with forward and backward side by side, over the packed token rows
 * {@code [N, H]} of a {@link TokenLayout} (no padding):
 * <pre>
 *   qkv = x·[Wq; Wk; Wv]ᵀ                            one GEMM; biases added by the attention kernel
 *   c = Attention(q, k, v)                          per sequence (dropout on the probabilities)
 *   h = LN1(x + drop(c·Woᵀ + bo))                   bias, dropout, residual and norm in one pass
 *   y = LN2(h + drop(gelu(h·W1ᵀ + b1)·W2ᵀ + b2))    bias and GELU in one pass, then as above
 * </pre>
 * Dropout (HF BertLayer in train mode, plus PEFT's LoRA dropout on each adapter's input) applies
 * only when the forward is given row seeds (one per sequence); the masks are a function of those
 * seeds, so the backward draws them again rather than keeping them (the attention kernel draws its
 * own). The backward computes only what reaches a trainable tensor: input gradients
 * through every frozen linear, adapter gradients where there is an adapter, bias and LayerNorm
 * gradients where those train, never a gradient of a frozen weight.
 */
public final class BertLayer {
    /** Dropout sites of a layer: mask seeds are (row seed, 16 · (layer + 1) + site); site 0 of layer −1 is the embeddings'. */
    private static final int PROBS = 0, ATTENTION_OUT = 1, OUTPUT = 2, LORA_Q = 3, LORA_K = 4, LORA_V = 5, LORA_O = 6,
            LORA_I = 7, LORA_OUT = 8;

    private final LoraLinear qkv, attentionOutput, intermediate, output;
    private final LayerNorm attentionNorm, outputNorm;
    private final int heads, index;
    private final DropoutRates rates;

    public BertLayer(LoraLinear query, LoraLinear key, LoraLinear value, LoraLinear attentionOutput,
            LayerNorm attentionNorm, LoraLinear intermediate, LoraLinear output, LayerNorm outputNorm, int heads) {
        this(query, key, value, attentionOutput, attentionNorm, intermediate, output, outputNorm, heads, 0,
                DropoutRates.NONE);
    }

    /**
     * @param index the layer's position (its dropout masks are drawn from seeds mixed with it)
     * @param rates dropout applied when a forward is given row seeds
     */
    public BertLayer(LoraLinear query, LoraLinear key, LoraLinear value, LoraLinear attentionOutput,
            LayerNorm attentionNorm, LoraLinear intermediate, LoraLinear output, LayerNorm outputNorm, int heads,
            int index, DropoutRates rates) {
        this.qkv = LoraLinear.concat(query, key, value);
        this.attentionOutput = attentionOutput;
        this.attentionNorm = attentionNorm;
        this.intermediate = intermediate;
        this.output = output;
        this.outputNorm = outputNorm;
        this.heads = heads;
        this.index = index;
        this.rates = rates;
    }

    /** The seed site of dropout mask {@code site} of layer {@code layer} (−1: the embeddings). */
    public static long site(int layer, int site) {
        return 16L * (layer + 1) + site;
    }

    /**
     * What one layer's forward keeps for its backward, over N = {@code rows} packed tokens. The GELU
     * output and the dropout masks are not kept: the backward recomputes them (one GELU pass; masks
     * are a function of the row seeds), which saves [N, I] and up to seven [N, H] arrays a layer.
     */
    public static final class Activations {
        final long rows;
        INDArray input;                                   // not owned: the previous layer's output
        TokenLayout layout;
        AttentionSettings attention;
        long[] rowSeeds;                                  // the forward's dropout seeds, or null
        boolean dropping;                                 // this pass drew masks
        // [N, 3H], [N, H], [N, heads], [N, H] ×2, [N, 1], [N, I], [N, H] ×2, [N, 1]
        final INDArray qkv, context, logSumExp, h, xHat1, rstd1, u, xHat2, out, rstd2;
        final INDArray[] xaQkv;
        final INDArray xaO, xaI, xaOut;                   // [N, r] adapter inputs saved for the backward

        /** Buffers of their own (tests); layers of an encoder take theirs from the pass's {@link Arena}. */
        public Activations(DataType type, long rows, long hidden, long inner, int heads, long rank) {
            this(Arena.sized(type, arena -> new Activations(arena, rows, hidden, inner, heads, rank)), rows, hidden, inner,
                    heads, rank);
        }

        /** @param rows N, the batch's real tokens */
        public Activations(Arena arena, long rows, long hidden, long inner, int heads, long rank) {
            this.rows = rows;
            long m = rows, r = Math.max(rank, 1);
            qkv = arena.take(m, 3 * hidden);
            context = arena.take(m, hidden);
            logSumExp = arena.take(m, heads);
            h = arena.take(m, hidden);
            xHat1 = arena.take(m, hidden);
            rstd1 = arena.take(m, 1);
            u = arena.take(m, inner);
            xHat2 = arena.take(m, hidden);
            out = arena.take(m, hidden);
            rstd2 = arena.take(m, 1);
            xaQkv = new INDArray[] {arena.take(m, r), arena.take(m, r), arena.take(m, r)};
            xaO = arena.take(m, r);
            xaI = arena.take(m, r);
            xaOut = arena.take(m, r);
        }

        /** Bytes per token for these buffers (for memory budgets). */
        public static long floatsPerToken(long hidden, long inner, int heads, long rank) {
            return 8 * hidden + inner + heads + 2 + 6 * Math.max(rank, 1);
        }

        /** The layer's output [N, H]. */
        public INDArray output() {
            return out;
        }
    }

    /**
     * Scratch of a pass shared by all its layers (one layer runs at a time): the forward's
     * intermediate outputs that nothing keeps, the dropout masks, and the backward's buffers.
     */
    public static final class Work {
        final INDArray branch, g;                         // [N, H], [N, I]
        final INDArray dz, dh, dBranch, dContext, dQkv, dInner, dyB;
        final INDArray dropAttentionOut, dropOutput;      // [N, H]: hidden dropout
        final INDArray[] dropQkv;                         // [N, H] ×3: LoRA dropout on q, k, v's input
        final INDArray dropO, dropI, dropOut;             // [N, H] ×2, [N, I]
        final INDArray workH, workI;                      // [N, H], [N, I]: LoRA dropout scratch

        /**
         * @param gradients false for a forward-only (inference) pass: no backward buffers, and
         *                  {@link #backward} cannot run with it
         * @param rates which dropout masks to allocate (a training pass only: inference never drops)
         */
        public Work(Arena arena, long rows, long hidden, long inner, long rank, boolean gradients, DropoutRates rates) {
            long m = rows, r = Math.max(rank, 1);
            branch = arena.take(m, hidden);
            g = arena.take(m, inner);
            dz = gradients ? arena.take(m, hidden) : null;
            dh = gradients ? arena.take(m, hidden) : null;
            dBranch = gradients ? arena.take(m, hidden) : null;
            dContext = gradients ? arena.take(m, hidden) : null;
            dQkv = gradients ? arena.take(m, 3 * hidden) : null;
            dInner = gradients ? arena.take(m, inner) : null;
            dyB = gradients ? arena.take(m, r) : null;
            boolean hiddenDrop = gradients && rates.hidden() > 0, loraDrop = gradients && rates.lora() > 0;
            dropAttentionOut = hiddenDrop ? arena.take(m, hidden) : null;
            dropOutput = hiddenDrop ? arena.take(m, hidden) : null;
            dropQkv = loraDrop ? new INDArray[] {arena.take(m, hidden), arena.take(m, hidden), arena.take(m, hidden)} : null;
            dropO = loraDrop ? arena.take(m, hidden) : null;
            dropI = loraDrop ? arena.take(m, hidden) : null;
            dropOut = loraDrop ? arena.take(m, inner) : null;
            workH = loraDrop ? arena.take(m, hidden) : null;
            workI = loraDrop ? arena.take(m, inner) : null;
        }

        /** Buffers of their own (tests). */
        public Work(DataType type, long rows, long hidden, long inner, long rank, boolean gradients, DropoutRates rates) {
            this(Arena.sized(type, arena -> new Work(arena, rows, hidden, inner, rank, gradients, rates)), rows, hidden, inner,
                    rank, gradients, rates);
        }

        /** Floats per token (for memory budgets). */
        public static long floatsPerToken(long hidden, long inner, long rank, boolean gradients, DropoutRates rates) {
            long n = hidden + inner;
            if (gradients) {
                n += 7 * hidden + inner + Math.max(rank, 1);
                n += rates.hidden() > 0 ? 2 * hidden : 0;
                n += rates.lora() > 0 ? 6 * hidden + 2 * inner : 0;
            }
            return n;
        }
    }

    /** Runs the layer on {@code x} [N, H] in eval mode (no dropout). The output is {@code act.output()}. */
    public void forward(INDArray x, TokenLayout layout, Activations act, Work work) {
        forward(x, layout, act, work, null);
    }

    /**
     * Runs the layer; with {@code rowSeeds} (one per sequence) it applies this layer's dropout rates
     * (train mode), without them none (eval mode).
     */
    public void forward(INDArray x, TokenLayout layout, Activations act, Work work, long[] rowSeeds) {
        act.input = x;
        act.layout = layout;
        act.rowSeeds = rowSeeds;
        act.dropping = rowSeeds != null && rates.any();
        if (act.dropping && work.dz == null) {
            throw new IllegalStateException("dropout in a forward-only (inference) pass");
        }
        if (act.dropping) {
            fillMasks(work, layout, rowSeeds);
        }
        act.attention = new AttentionSettings(heads, null, null, AttentionSettings.GLOBAL,
                act.dropping ? rates.attention() : 0, act.dropping ? rowSeeds : null, site(index, PROBS));
        qkv.forward(x, act.qkv, act.xaQkv, masks(act, work.dropQkv), work.workH, false);
        PackedAttention.forward(layout, act.qkv, qkv.bias(), act.attention, act.context, act.logSumExp);
        attentionOutput.forward(act.context, work.branch, new INDArray[] {act.xaO}, loraMask(act, work.dropO), work.workH,
                false);
        boolean backward = work.dz != null;         // else inference: what only the backward reads is not written
        attentionNorm.forward(work.branch, attentionOutput.bias(), mask(act, work.dropAttentionOut), x,
                backward ? act.xHat1 : null, act.rstd1, null, act.h);
        intermediate.forward(act.h, act.u, new INDArray[] {act.xaI}, loraMask(act, work.dropI), work.workH, false);
        BiasGelu.forward(act.u, intermediate.bias(), work.g, backward);
        output.forward(work.g, work.branch, new INDArray[] {act.xaOut}, loraMask(act, work.dropOut), work.workI, false);
        outputNorm.forward(work.branch, output.bias(), mask(act, work.dropOutput), act.h, backward ? act.xHat2 : null,
                act.rstd2, null, act.out);
    }

    private void fillMasks(Work work, TokenLayout layout, long[] rowSeeds) {
        fill(work.dropAttentionOut, rates.hidden(), layout, rowSeeds, ATTENTION_OUT);
        fill(work.dropOutput, rates.hidden(), layout, rowSeeds, OUTPUT);
        if (work.dropQkv != null) {
            fill(work.dropQkv[0], rates.lora(), layout, rowSeeds, LORA_Q);
            fill(work.dropQkv[1], rates.lora(), layout, rowSeeds, LORA_K);
            fill(work.dropQkv[2], rates.lora(), layout, rowSeeds, LORA_V);
        }
        fill(work.dropO, rates.lora(), layout, rowSeeds, LORA_O);
        fill(work.dropI, rates.lora(), layout, rowSeeds, LORA_I);
        fill(work.dropOut, rates.lora(), layout, rowSeeds, LORA_OUT);
    }

    private static INDArray mask(Activations act, INDArray m) {
        return act.dropping ? m : null;
    }

    private static INDArray[] masks(Activations act, INDArray[] m) {
        return act.dropping ? m : null;
    }

    private static INDArray[] loraMask(Activations act, INDArray m) {
        return act.dropping && m != null ? new INDArray[] {m} : null;
    }

    private void fill(INDArray mask, double p, TokenLayout layout, long[] rowSeeds, int site) {
        if (mask != null) {
            DropoutMask.fillRows(mask, p, layout, rowSeeds, site(index, site));
        }
    }

    /**
     * Back-propagates {@code dOut} [N, H]: adds adapter (and trainable bias/LayerNorm) gradients, and
     * writes dL/dx into {@code dx} unless it is null (nothing before this layer needs it).
     */
    public void backward(INDArray dOut, INDArray dx, Activations act, Work work) {
        if (work.dz == null) {
            throw new IllegalStateException("backward through a forward-only (inference) pass");
        }
        if (act.dropping) {
            fillMasks(work, act.layout, act.rowSeeds);                    // the forward's masks again
        }
        // y = LN2(h + drop(dense2)): dh gets the residual part, the branch its masked copy
        INDArray outMask = mask(act, work.dropOutput);
        outputNorm.backward(act.xHat2, act.rstd2, dOut, work.dh, false, outMask, outMask == null ? null : work.dBranch);
        INDArray dBranch = outMask == null ? work.dh : work.dBranch;
        BiasGelu.forward(act.u, null, work.g);                            // g again (the same kernel): output dense's input
        output.backward(work.g, new INDArray[] {act.xaOut}, dBranch, work.dInner, false, work.dyB,
                loraMask(act, work.dropOut), work.workI);
        BiasGelu.backward(act.u, work.dInner, work.dInner, null, work.g);   // g is free once output.backward has run
        intermediate.backward(act.h, new INDArray[] {act.xaI}, work.dInner, work.dh, true, work.dyB,
                loraMask(act, work.dropI), work.workH);
        // h = LN1(x + drop(dense(c))): dz is the residual's gradient, dBranch the dense's
        INDArray attentionMask = mask(act, work.dropAttentionOut);
        attentionNorm.backward(act.xHat1, act.rstd1, work.dh, work.dz, false, attentionMask,
                attentionMask == null ? null : work.dBranch);
        dBranch = attentionMask == null ? work.dz : work.dBranch;
        attentionOutput.backward(act.context, new INDArray[] {act.xaO}, dBranch, work.dContext, false, work.dyB,
                loraMask(act, work.dropO), work.workH);
        PackedAttention.backward(act.layout, act.qkv, qkv.bias(), act.attention, act.context, act.logSumExp, work.dContext,
                work.dQkv);
        if (dx != null) {
            dx.assign(work.dz);
        }
        qkv.backward(act.input, act.xaQkv, work.dQkv, dx, true, work.dyB, masks(act, work.dropQkv), work.workH);
    }
}
