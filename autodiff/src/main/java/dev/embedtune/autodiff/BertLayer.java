package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.AttentionSettings;
import dev.embedtune.autodiff.kernels.BiasGelu;
import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.autodiff.kernels.PackedAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
 * only when the forward is given row seeds (one per sequence); hidden and LoRA masks are drawn into
 * the {@link Activations} and reused by the backward, the attention mask is redrawn inside the
 * attention kernel. The backward computes only what reaches a trainable tensor: input gradients
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

    /** The saved activations of one forward pass through this layer, and its backward work buffers. */
    public static final class Activations {
        final long rows;
        final Arena arena;
        INDArray input;                                   // not owned: the previous layer's output
        TokenLayout layout;
        AttentionSettings attention;
        // [N, 3H], [N, H] ×2, [N, heads], [N, H] ×2, [N, 1], [N, I] ×2, [N, H] ×2, [N, 1]
        final INDArray qkv, context, branch, logSumExp, h, xHat1, rstd1, u, g, xHat2, out, rstd2;
        final INDArray[] xaQkv;
        final INDArray xaO, xaI, xaOut;                   // [N, r] adapter inputs saved for the backward
        // backward work buffers
        final INDArray dz, dh, dBranch, dContext, dQkv, dInner, dyB;
        // dropout masks (0 or 1/(1−p)), allocated only for a training pass with that dropout
        final INDArray dropAttentionOut, dropOutput;                    // [N, H]
        final INDArray[] dropQkv;                                       // LoRA inputs: [N, H] ×3
        final INDArray dropO, dropI, dropOut;                           // [N, H] ×2, [N, I]
        final INDArray workH, workI;                                    // [N, H], [N, I]: LoRA dropout scratch
        boolean dropping;                                               // this pass drew masks

        /**
         * @param rows N, the batch's real tokens
         * @param gradients false for a forward-only (inference) pass: no backward buffers, and
         *                  {@link #backward} cannot run on it
         * @param rates which dropout masks to allocate (a training pass only: inference never drops)
         */
        public Activations(DataType type, long rows, long hidden, long inner, int heads, long rank, boolean gradients,
                DropoutRates rates) {
            this(Arena.sized(type, arena -> new Activations(arena, rows, hidden, inner, heads, rank, gradients, rates)),
                    rows, hidden, inner, heads, rank, gradients, rates);
        }

        /** The buffers taken from {@code arena} (which owns their memory). */
        public Activations(Arena arena, long rows, long hidden, long inner, int heads, long rank, boolean gradients,
                DropoutRates rates) {
            this.rows = rows;
            this.arena = arena;
            long m = rows, r = Math.max(rank, 1);
            qkv = arena.take(m, 3 * hidden);
            context = arena.take(m, hidden);
            branch = arena.take(m, hidden);
            logSumExp = arena.take(m, heads);
            h = arena.take(m, hidden);
            xHat1 = arena.take(m, hidden);
            rstd1 = arena.take(m, 1);
            u = arena.take(m, inner);
            g = arena.take(m, inner);
            xHat2 = arena.take(m, hidden);
            out = arena.take(m, hidden);
            rstd2 = arena.take(m, 1);
            xaQkv = new INDArray[] {arena.take(m, r), arena.take(m, r), arena.take(m, r)};
            xaO = arena.take(m, r);
            xaI = arena.take(m, r);
            xaOut = arena.take(m, r);
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
            dropQkv = loraDrop ? new INDArray[] {arena.take(m, hidden), arena.take(m, hidden),
                    arena.take(m, hidden)} : null;
            dropO = loraDrop ? arena.take(m, hidden) : null;
            dropI = loraDrop ? arena.take(m, hidden) : null;
            dropOut = loraDrop ? arena.take(m, inner) : null;
            workH = loraDrop ? arena.take(m, hidden) : null;
            workI = loraDrop ? arena.take(m, inner) : null;
        }

        /**
         * Frees the buffers now that are not views of an arena (the arena's owner frees those): a pass
         * of 32 × 128 tokens holds about 100 MB a layer, and a heap that rarely collects would otherwise
         * let replaced passes pile up off-heap.
         */
        public void close() {
            Buffers.close(qkv, context, branch, logSumExp, h, xHat1, rstd1, u, g, xHat2, out, rstd2, xaO, xaI, xaOut,
                    dz, dh, dBranch, dContext, dQkv, dInner, dyB, dropAttentionOut, dropOutput, dropO, dropI, dropOut,
                    workH, workI);
            Buffers.close(xaQkv);
            if (dropQkv != null) {
                Buffers.close(dropQkv);
            }
            input = null;
        }

        /** True when these buffers hold a pass of {@code rows} tokens of this type. */
        public boolean fits(DataType type, long rows) {
            return this.rows == rows && qkv.dataType() == type;
        }

        /** The layer's output [N, H]. */
        public INDArray output() {
            return out;
        }

        /** The mask when this pass drops there, else null. */
        private INDArray mask(INDArray m) {
            return dropping ? m : null;
        }

        private INDArray[] masks(INDArray[] m) {
            return dropping ? m : null;
        }
    }

    /** Runs the layer on {@code x} [N, H] in eval mode (no dropout). The output is {@code act.output()}. */
    public void forward(INDArray x, TokenLayout layout, Activations act) {
        forward(x, layout, act, null);
    }

    /**
     * Runs the layer; with {@code rowSeeds} (one per sequence) it applies this layer's dropout rates
     * (train mode), without them none (eval mode).
     */
    public void forward(INDArray x, TokenLayout layout, Activations act, long[] rowSeeds) {
        act.input = x;
        act.layout = layout;
        act.dropping = rowSeeds != null && rates.any();
        if (act.dropping && act.dz == null) {
            throw new IllegalStateException("dropout in a forward-only (inference) pass");
        }
        if (act.dropping) {
            fill(act.dropAttentionOut, rates.hidden(), layout, rowSeeds, ATTENTION_OUT);
            fill(act.dropOutput, rates.hidden(), layout, rowSeeds, OUTPUT);
            if (act.dropQkv != null) {
                fill(act.dropQkv[0], rates.lora(), layout, rowSeeds, LORA_Q);
                fill(act.dropQkv[1], rates.lora(), layout, rowSeeds, LORA_K);
                fill(act.dropQkv[2], rates.lora(), layout, rowSeeds, LORA_V);
            }
            fill(act.dropO, rates.lora(), layout, rowSeeds, LORA_O);
            fill(act.dropI, rates.lora(), layout, rowSeeds, LORA_I);
            fill(act.dropOut, rates.lora(), layout, rowSeeds, LORA_OUT);
        }
        act.attention = new AttentionSettings(heads, null, null, AttentionSettings.GLOBAL,
                act.dropping ? rates.attention() : 0, act.dropping ? rowSeeds : null, site(index, PROBS));
        qkv.forward(x, act.qkv, act.xaQkv, act.masks(act.dropQkv), act.workH, false);
        PackedAttention.forward(layout, act.qkv, qkv.bias(), act.attention, act.context, act.logSumExp);
        attentionOutput.forward(act.context, act.branch, new INDArray[] {act.xaO}, loraMask(act, act.dropO), act.workH, false);
        attentionNorm.forward(act.branch, attentionOutput.bias(), act.mask(act.dropAttentionOut), x, act.xHat1, act.rstd1,
                null, act.h);
        intermediate.forward(act.h, act.u, new INDArray[] {act.xaI}, loraMask(act, act.dropI), act.workH, false);
        BiasGelu.forward(act.u, intermediate.bias(), act.g);
        output.forward(act.g, act.branch, new INDArray[] {act.xaOut}, loraMask(act, act.dropOut), act.workI, false);
        outputNorm.forward(act.branch, output.bias(), act.mask(act.dropOutput), act.h, act.xHat2, act.rstd2, null, act.out);
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
    public void backward(INDArray dOut, INDArray dx, Activations act) {
        if (act.dz == null) {
            throw new IllegalStateException("backward through a forward-only (inference) pass");
        }
        // y = LN2(h + drop(dense2)): dh gets the residual part, the branch its masked copy
        INDArray outMask = act.mask(act.dropOutput);
        outputNorm.backward(act.xHat2, act.rstd2, dOut, act.dh, false, outMask, outMask == null ? null : act.dBranch);
        INDArray dBranch = outMask == null ? act.dh : act.dBranch;
        output.backward(act.g, new INDArray[] {act.xaOut}, dBranch, act.dInner, false, act.dyB, loraMask(act, act.dropOut),
                act.workI);
        BiasGelu.backward(act.u, act.dInner, act.dInner, null, act.g);       // g is free once output.backward has run
        intermediate.backward(act.h, new INDArray[] {act.xaI}, act.dInner, act.dh, true, act.dyB, loraMask(act, act.dropI),
                act.workH);
        // h = LN1(x + drop(dense(c))): dz is the residual's gradient, dBranch the dense's
        INDArray attentionMask = act.mask(act.dropAttentionOut);
        attentionNorm.backward(act.xHat1, act.rstd1, act.dh, act.dz, false, attentionMask,
                attentionMask == null ? null : act.dBranch);
        dBranch = attentionMask == null ? act.dz : act.dBranch;
        attentionOutput.backward(act.context, new INDArray[] {act.xaO}, dBranch, act.dContext, false, act.dyB,
                loraMask(act, act.dropO), act.workH);
        PackedAttention.backward(act.layout, act.qkv, qkv.bias(), act.attention, act.context, act.logSumExp, act.dContext,
                act.dQkv);
        if (dx != null) {
            dx.assign(act.dz);
        }
        qkv.backward(act.input, act.xaQkv, act.dQkv, dx, true, act.dyB, act.masks(act.dropQkv), act.workH);
    }
}
