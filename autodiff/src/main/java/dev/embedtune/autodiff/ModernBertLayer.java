package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.AttentionSettings;
import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.autodiff.kernels.PackedAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One pre-norm ModernBERT layer with forward and backward side by side, over the packed token rows
 * {@code [N, H]} of a {@link TokenLayout}:
 * <pre>
 *   a = attn_norm(x)                  (the identity in layer 0)
 *   qkv = Wqkv(a)                     one GEMM; column blocks q, k, v
 *   c = Attention(RoPE(q), RoPE(k), v)   RoPE by position with the layer's θ; local layers see keys
 *                                        within half the window
 *   h = x + drop(Wo(c));  m = mlp_norm(h)      (the join and the norm in one pass)
 *   y = h + mlp.Wo(drop(GeGLU(Wi(m))))
 * </pre>
 * Dropout (plus PEFT's LoRA dropout on each adapter's input) applies only when the forward is given
 * row seeds (one per sequence). As in {@link BertLayer}, the backward computes only what reaches a
 * trainable tensor.
 */
public final class ModernBertLayer {
    private final LayerNorm attentionNorm, mlpNorm;
    private final LoraLinear wqkv, attentionOutput, wi, mlpOutput;
    private final int heads, index;
    private final ModernBertDropoutRates rates;
    /** Dropout sites of a layer, mixed with its index into the mask seeds (see {@link BertLayer#site}). */
    private static final int PROBS = 0, ATTENTION_OUT = 1, MLP = 2, LORA_QKV = 3, LORA_O = 4, LORA_I = 5, LORA_MLP_O = 6;

    public ModernBertLayer(LayerNorm attentionNorm, LoraLinear wqkv, LoraLinear attentionOutput, LayerNorm mlpNorm,
            LoraLinear wi, LoraLinear mlpOutput, int heads) {
        this(attentionNorm, wqkv, attentionOutput, mlpNorm, wi, mlpOutput, heads, 0, ModernBertDropoutRates.NONE);
    }

    /**
     * @param attentionNorm attn_norm, or null in layer 0 (where it is the identity)
     * @param index the layer's position (its dropout masks are drawn from seeds mixed with it)
     * @param rates dropout applied when a forward is given row seeds
     */
    public ModernBertLayer(LayerNorm attentionNorm, LoraLinear wqkv, LoraLinear attentionOutput, LayerNorm mlpNorm,
            LoraLinear wi, LoraLinear mlpOutput, int heads, int index, ModernBertDropoutRates rates) {
        this.index = index;
        this.rates = rates;
        this.attentionNorm = attentionNorm;
        this.wqkv = wqkv;
        this.attentionOutput = attentionOutput;
        this.mlpNorm = mlpNorm;
        this.wi = wi;
        this.mlpOutput = mlpOutput;
        this.heads = heads;
    }

    /** The saved activations of one forward pass through a layer, and its backward work buffers. */
    public static final class Activations {
        final long rows;
        final Arena arena;
        INDArray input;                                       // not owned: the previous layer's output
        TokenLayout layout;
        AttentionSettings attention;
        // [N, H] a, x̂A, [N, 1] rstdA, [N, 3H] qkv, [N, H] context, branch, h, m, x̂M, [N, 1] rstdM,
        // [N, 2I] u, [N, I] gateInput, geluA, g, [N, H] out, [N, heads] logSumExp
        final INDArray a, xHatA, rstdA, qkv, context, branch, h, m, xHatM, rstdM, u, gateInput, geluA, g, out, logSumExp;
        final INDArray xaQkv, xaO, xaI, xaMo;
        // backward work buffers
        final INDArray dh, dm, dTmp, dContext, dQkv, du, dg, dyB;
        // dropout masks (0 or 1/(1−p)), allocated only for a training pass with that dropout
        final INDArray dropAttentionOut, dropMlp;                              // [N, H], [N, I]
        final INDArray dropQkv, dropO, dropI, dropMlpO, workH, workF;          // LoRA inputs and scratch
        boolean dropping;                                                      // this pass drew masks

        /**
         * @param rows N, the batch's real tokens
         * @param gradients false for a forward-only pass: no backward buffers, and {@link #backward}
         *                  cannot run on it
         * @param rates which dropout masks to allocate (a training pass only: inference never drops)
         */
        public Activations(DataType type, long rows, long hidden, long inner, int heads, long rank, boolean gradients,
                ModernBertDropoutRates rates) {
            this(Arena.sized(type, arena -> new Activations(arena, rows, hidden, inner, heads, rank, gradients, rates)),
                    rows, hidden, inner, heads, rank, gradients, rates);
        }

        /** The buffers taken from {@code arena} (which owns their memory). */
        public Activations(Arena arena, long rows, long hidden, long inner, int heads, long rank, boolean gradients,
                ModernBertDropoutRates rates) {
            this.rows = rows;
            this.arena = arena;
            long n = rows, r = Math.max(rank, 1);
            a = arena.take(n, hidden);
            xHatA = arena.take(n, hidden);
            rstdA = arena.take(n, 1);
            qkv = arena.take(n, 3 * hidden);
            context = arena.take(n, hidden);
            branch = arena.take(n, hidden);
            h = arena.take(n, hidden);
            m = arena.take(n, hidden);
            xHatM = arena.take(n, hidden);
            rstdM = arena.take(n, 1);
            u = arena.take(n, 2 * inner);
            gateInput = arena.take(n, inner);
            geluA = arena.take(n, inner);
            g = arena.take(n, inner);
            out = arena.take(n, hidden);
            logSumExp = arena.take(n, heads);
            xaQkv = arena.take(n, r);
            xaO = arena.take(n, r);
            xaI = arena.take(n, r);
            xaMo = arena.take(n, r);
            dh = gradients ? arena.take(n, hidden) : null;
            dm = gradients ? arena.take(n, hidden) : null;
            dTmp = gradients ? arena.take(n, hidden) : null;
            dContext = gradients ? arena.take(n, hidden) : null;
            dQkv = gradients ? arena.take(n, 3 * hidden) : null;
            du = gradients ? arena.take(n, 2 * inner) : null;
            dg = gradients ? arena.take(n, inner) : null;
            dyB = gradients ? arena.take(n, r) : null;
            boolean attentionDrop = gradients && rates.attention() > 0, mlpDrop = gradients && rates.mlp() > 0,
                    loraDrop = gradients && rates.lora() > 0;
            dropAttentionOut = attentionDrop ? arena.take(n, hidden) : null;
            dropMlp = mlpDrop ? arena.take(n, inner) : null;
            dropQkv = loraDrop ? arena.take(n, hidden) : null;
            dropO = loraDrop ? arena.take(n, hidden) : null;
            dropI = loraDrop ? arena.take(n, hidden) : null;
            dropMlpO = loraDrop ? arena.take(n, inner) : null;
            workH = loraDrop ? arena.take(n, hidden) : null;
            workF = loraDrop ? arena.take(n, inner) : null;
        }

        /** Frees the native memory of every buffer now (see {@link BertLayer.Activations#close()}). */
        public void close() {
            Buffers.close(a, xHatA, rstdA, qkv, context, branch, h, m, xHatM, rstdM, u, gateInput, geluA, g, out,
                    logSumExp, xaQkv, xaO, xaI, xaMo, dh, dm, dTmp, dContext, dQkv, du, dg, dyB, dropAttentionOut, dropMlp,
                    dropQkv, dropO, dropI, dropMlpO, workH, workF);
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

        private INDArray[] lora(INDArray m) {
            return dropping && m != null ? new INDArray[] {m} : null;
        }
    }

    /** Runs the layer in eval mode (no dropout); the output is {@code act.output()}. */
    public void forward(INDArray x, TokenLayout layout, INDArray cos, INDArray sin, int reach, Activations act) {
        forward(x, layout, cos, sin, reach, act, null);
    }

    /**
     * Runs the layer on {@code x} [N, H]; the output is {@code act.output()}. With {@code rowSeeds}
     * (one per sequence) it applies this layer's dropout (train mode), without them none.
     *
     * @param cos, sin RoPE tables [T', D/2] by position for this layer's θ
     * @param reach keys visible to a query: within this many positions ({@link AttentionSettings#GLOBAL} for all)
     */
    public void forward(INDArray x, TokenLayout layout, INDArray cos, INDArray sin, int reach, Activations act,
            long[] rowSeeds) {
        act.input = x;
        act.layout = layout;
        act.dropping = rowSeeds != null && rates.any();
        if (act.dropping && act.dh == null) {
            throw new IllegalStateException("dropout in a forward-only (inference) pass");
        }
        if (act.dropping) {
            fill(act.dropAttentionOut, rates.attention(), layout, rowSeeds, ATTENTION_OUT);
            fill(act.dropMlp, rates.mlp(), layout, rowSeeds, MLP);
            fill(act.dropQkv, rates.lora(), layout, rowSeeds, LORA_QKV);
            fill(act.dropO, rates.lora(), layout, rowSeeds, LORA_O);
            fill(act.dropI, rates.lora(), layout, rowSeeds, LORA_I);
            fill(act.dropMlpO, rates.lora(), layout, rowSeeds, LORA_MLP_O);
        }
        act.attention = new AttentionSettings(heads, cos, sin, reach, act.dropping ? rates.attention() : 0,
                act.dropping ? rowSeeds : null, BertLayer.site(index, PROBS));
        INDArray a = x;
        if (attentionNorm != null) {
            attentionNorm.forward(x, act.xHatA, act.rstdA, act.a);
            a = act.a;
        }
        wqkv.forward(a, act.qkv, new INDArray[] {act.xaQkv}, act.lora(act.dropQkv), act.workH, false);
        PackedAttention.forward(layout, act.qkv, wqkv.bias(), act.attention, act.context, act.logSumExp);
        attentionOutput.forward(act.context, act.branch, new INDArray[] {act.xaO}, act.lora(act.dropO), act.workH, false);
        mlpNorm.forward(act.branch, attentionOutput.bias(), act.mask(act.dropAttentionOut), x, act.xHatM, act.rstdM, act.h,
                act.m);
        wi.forward(act.m, act.u, new INDArray[] {act.xaI}, act.lora(act.dropI), act.workH, true);
        GeGlu.forward(act.u, act.gateInput, act.geluA, act.g);
        if (act.mask(act.dropMlp) != null) {
            act.g.muli(act.dropMlp);                  // g is mlp.Wo's input: saved dropped
        }
        mlpOutput.forward(act.g, act.out, new INDArray[] {act.xaMo}, act.lora(act.dropMlpO), act.workF, true);
        act.out.addi(act.h);
    }

    private void fill(INDArray mask, double p, TokenLayout layout, long[] rowSeeds, int site) {
        if (mask != null) {
            DropoutMask.fillRows(mask, p, layout, rowSeeds, BertLayer.site(index, site));
        }
    }

    /**
     * Back-propagates {@code dOut} [N, H]: adds adapter (and trainable bias/norm) gradients, and writes
     * dL/dx into {@code dx} unless it is null (nothing before this layer needs it).
     */
    public void backward(INDArray dOut, INDArray dx, Activations act) {
        if (act.dh == null) {
            throw new IllegalStateException("backward through a forward-only (inference) pass");
        }
        // MLP branch: y = h + mlp.Wo(drop(GeGLU(Wi(mlp_norm(h)))))
        mlpOutput.backward(act.g, new INDArray[] {act.xaMo}, dOut, act.dg, false, act.dyB, act.lora(act.dropMlpO), act.workF);
        if (act.mask(act.dropMlp) != null) {
            act.dg.muli(act.dropMlp);
        }
        GeGlu.backward(act.u, act.geluA, act.dg, act.du, act.gateInput, act.g);   // g is free once mlp.Wo's backward ran
        wi.backward(act.m, new INDArray[] {act.xaI}, act.du, act.dm, false, act.dyB, act.lora(act.dropI), act.workH);
        // h = x + drop(Wo(c)), m = mlp_norm(h): dh = dOut + mlp_norm's backward
        act.dh.assign(dOut);
        mlpNorm.backward(act.xHatM, act.rstdM, act.dm, act.dh, true, null, null);
        INDArray dWo = act.dh;
        if (act.mask(act.dropAttentionOut) != null) {
            dWo = act.dTmp.assign(act.dh).muli(act.dropAttentionOut);
        }
        // attention branch: h = x + drop(Wo(Attention(RoPE(q), RoPE(k), v)))
        attentionOutput.backward(act.context, new INDArray[] {act.xaO}, dWo, act.dContext, false, act.dyB,
                act.lora(act.dropO), act.workH);
        PackedAttention.backward(act.layout, act.qkv, wqkv.bias(), act.attention, act.context, act.logSumExp,
                act.dContext, act.dQkv);
        INDArray a = attentionNorm == null ? act.input : act.a;
        wqkv.backward(a, new INDArray[] {act.xaQkv}, act.dQkv, dx == null ? null : act.dm, false, act.dyB,
                act.lora(act.dropQkv), act.workH);
        if (dx == null) {
            return;
        }
        dx.assign(act.dh);
        if (attentionNorm == null) {
            dx.addi(act.dm);
        } else {
            attentionNorm.backward(act.xHatA, act.rstdA, act.dm, dx, true, null, null);
        }
    }
}
