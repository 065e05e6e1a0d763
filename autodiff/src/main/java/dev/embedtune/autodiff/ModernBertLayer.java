package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.AttentionSettings;
import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.autodiff.kernels.PackedAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

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
 * row seeds (one per sequence); the backward draws the same masks again. As in {@link BertLayer}, the
 * backward computes only what reaches a trainable tensor.
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

    /**
     * What one layer's forward keeps for its backward, over N = {@code rows} packed tokens. GeGLU's
     * output and the dropout masks are recomputed by the backward, not kept.
     */
    public static final class Activations {
        final long rows;
        INDArray input;                                       // not owned: the previous layer's output
        TokenLayout layout;
        AttentionSettings attention;
        long[] rowSeeds;                                      // the forward's dropout seeds, or null
        boolean dropping;                                     // this pass drew masks
        // [N, H] a, x̂A, [N, 1] rstdA, [N, 3H] qkv, [N, H] context, [N, heads] logSumExp, [N, H] h, m, x̂M,
        // [N, 1] rstdM, [N, 2I] u, [N, H] out
        final INDArray a, xHatA, rstdA, qkv, context, logSumExp, h, m, xHatM, rstdM, u, out;
        final INDArray xaQkv, xaO, xaI, xaMo;

        /** Buffers of their own (tests); layers of an encoder take theirs from the pass's {@link Arena}. */
        public Activations(DataType type, long rows, long hidden, long inner, int heads, long rank) {
            this(Arena.sized(type, arena -> new Activations(arena, rows, hidden, inner, heads, rank)), rows, hidden, inner,
                    heads, rank);
        }

        /** @param rows N, the batch's real tokens */
        public Activations(Arena arena, long rows, long hidden, long inner, int heads, long rank) {
            this.rows = rows;
            long n = rows, r = Math.max(rank, 1);
            a = arena.take(n, hidden);
            xHatA = arena.take(n, hidden);
            rstdA = arena.take(n, 1);
            qkv = arena.take(n, 3 * hidden);
            context = arena.take(n, hidden);
            logSumExp = arena.take(n, heads);
            h = arena.take(n, hidden);
            m = arena.take(n, hidden);
            xHatM = arena.take(n, hidden);
            rstdM = arena.take(n, 1);
            u = arena.take(n, 2 * inner);
            out = arena.take(n, hidden);
            xaQkv = arena.take(n, r);
            xaO = arena.take(n, r);
            xaI = arena.take(n, r);
            xaMo = arena.take(n, r);
        }

        /** Floats per token for these buffers (for memory budgets). */
        public static long floatsPerToken(long hidden, long inner, int heads, long rank) {
            return 10 * hidden + 2 * inner + heads + 2 + 4 * Math.max(rank, 1);
        }

        /** The layer's output [N, H]. */
        public INDArray output() {
            return out;
        }
    }

    /** Scratch of a pass shared by all its layers: unkept forward outputs, dropout masks, backward buffers. */
    public static final class Work {
        final INDArray branch, gateInput, geluA, g;                             // [N, H], [N, I] ×3
        final INDArray dh, dm, dTmp, dContext, dQkv, du, dg, dyB;
        final INDArray dropAttentionOut, dropMlp;                               // [N, H], [N, I]
        final INDArray dropQkv, dropO, dropI, dropMlpO, workH, workF;           // LoRA inputs and scratch

        /**
         * @param gradients false for a forward-only pass: no backward buffers
         * @param rates which dropout masks to allocate (a training pass only: inference never drops)
         */
        public Work(Arena arena, long rows, long hidden, long inner, long rank, boolean gradients,
                ModernBertDropoutRates rates) {
            long n = rows, r = Math.max(rank, 1);
            branch = arena.take(n, hidden);
            gateInput = arena.take(n, inner);
            geluA = arena.take(n, inner);
            g = arena.take(n, inner);
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

        /** Buffers of their own (tests). */
        public Work(DataType type, long rows, long hidden, long inner, long rank, boolean gradients,
                ModernBertDropoutRates rates) {
            this(Arena.sized(type, arena -> new Work(arena, rows, hidden, inner, rank, gradients, rates)), rows, hidden,
                    inner, rank, gradients, rates);
        }

        /** Floats per token (for memory budgets). */
        public static long floatsPerToken(long hidden, long inner, long rank, boolean gradients, ModernBertDropoutRates rates) {
            long n = hidden + 3 * inner;
            if (gradients) {
                n += 7 * hidden + 3 * inner + Math.max(rank, 1);
                n += rates.attention() > 0 ? hidden : 0;
                n += rates.mlp() > 0 ? inner : 0;
                n += rates.lora() > 0 ? 4 * hidden + 2 * inner : 0;
            }
            return n;
        }
    }

    /** Runs the layer in eval mode (no dropout); the output is {@code act.output()}. */
    public void forward(INDArray x, TokenLayout layout, INDArray cos, INDArray sin, int reach, Activations act, Work work) {
        forward(x, layout, cos, sin, reach, act, work, null);
    }

    /**
     * Runs the layer on {@code x} [N, H]; the output is {@code act.output()}. With {@code rowSeeds}
     * (one per sequence) it applies this layer's dropout (train mode), without them none.
     *
     * @param cos, sin RoPE tables [T', D/2] by position for this layer's θ
     * @param reach keys visible to a query: within this many positions ({@link AttentionSettings#GLOBAL} for all)
     */
    public void forward(INDArray x, TokenLayout layout, INDArray cos, INDArray sin, int reach, Activations act, Work work,
            long[] rowSeeds) {
        act.input = x;
        act.layout = layout;
        act.rowSeeds = rowSeeds;
        act.dropping = rowSeeds != null && rates.any();
        if (act.dropping && work.dh == null) {
            throw new IllegalStateException("dropout in a forward-only (inference) pass");
        }
        if (act.dropping) {
            fillMasks(work, layout, rowSeeds);
        }
        act.attention = new AttentionSettings(heads, cos, sin, reach, act.dropping ? rates.attention() : 0,
                act.dropping ? rowSeeds : null, BertLayer.site(index, PROBS));
        boolean backward = work.dh != null;         // else inference: what only the backward reads is not written
        INDArray a = x;
        if (attentionNorm != null) {
            attentionNorm.forward(x, backward ? act.xHatA : null, act.rstdA, act.a);
            a = act.a;
        }
        wqkv.forward(a, act.qkv, new INDArray[] {act.xaQkv}, lora(act, work.dropQkv), work.workH, false);
        PackedAttention.forward(layout, act.qkv, wqkv.bias(), act.attention, act.context, act.logSumExp);
        attentionOutput.forward(act.context, work.branch, new INDArray[] {act.xaO}, lora(act, work.dropO), work.workH, false);
        mlpNorm.forward(work.branch, attentionOutput.bias(), mask(act, work.dropAttentionOut), x, backward ? act.xHatM : null,
                act.rstdM, act.h, act.m);
        wi.forward(act.m, act.u, new INDArray[] {act.xaI}, lora(act, work.dropI), work.workH, true);
        gated(act, work);
        mlpOutput.forward(work.g, act.out, new INDArray[] {act.xaMo}, lora(act, work.dropMlpO), work.workF, true);
        act.out.addi(act.h);
    }

    /** g = drop(GeGLU(u)) into the work buffers (the forward, and again in the backward). */
    private static void gated(Activations act, Work work) {
        GeGlu.forward(act.u, work.gateInput, work.geluA, work.g);
        if (mask(act, work.dropMlp) != null) {
            work.g.muli(work.dropMlp);                 // g is mlp.Wo's input: kept dropped
        }
    }

    private void fillMasks(Work work, TokenLayout layout, long[] rowSeeds) {
        fill(work.dropAttentionOut, rates.attention(), layout, rowSeeds, ATTENTION_OUT);
        fill(work.dropMlp, rates.mlp(), layout, rowSeeds, MLP);
        fill(work.dropQkv, rates.lora(), layout, rowSeeds, LORA_QKV);
        fill(work.dropO, rates.lora(), layout, rowSeeds, LORA_O);
        fill(work.dropI, rates.lora(), layout, rowSeeds, LORA_I);
        fill(work.dropMlpO, rates.lora(), layout, rowSeeds, LORA_MLP_O);
    }

    private static INDArray mask(Activations act, INDArray m) {
        return act.dropping ? m : null;
    }

    private static INDArray[] lora(Activations act, INDArray m) {
        return act.dropping && m != null ? new INDArray[] {m} : null;
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
    public void backward(INDArray dOut, INDArray dx, Activations act, Work work) {
        if (work.dh == null) {
            throw new IllegalStateException("backward through a forward-only (inference) pass");
        }
        if (act.dropping) {
            fillMasks(work, act.layout, act.rowSeeds);                  // the forward's masks again
        }
        gated(act, work);                                               // GeGLU's output again: mlp.Wo's input
        // MLP branch: y = h + mlp.Wo(drop(GeGLU(Wi(mlp_norm(h)))))
        mlpOutput.backward(work.g, new INDArray[] {act.xaMo}, dOut, work.dg, false, work.dyB, lora(act, work.dropMlpO),
                work.workF);
        if (mask(act, work.dropMlp) != null) {
            work.dg.muli(work.dropMlp);
        }
        GeGlu.backward(act.u, work.geluA, work.dg, work.du, work.gateInput, work.g);   // g is free once mlp.Wo's backward ran
        wi.backward(act.m, new INDArray[] {act.xaI}, work.du, work.dm, false, work.dyB, lora(act, work.dropI), work.workH);
        // h = x + drop(Wo(c)), m = mlp_norm(h): dh = dOut + mlp_norm's backward
        work.dh.assign(dOut);
        mlpNorm.backward(act.xHatM, act.rstdM, work.dm, work.dh, true, null, null);
        INDArray dWo = work.dh;
        if (mask(act, work.dropAttentionOut) != null) {
            dWo = work.dTmp.assign(work.dh).muli(work.dropAttentionOut);
        }
        // attention branch: h = x + drop(Wo(Attention(RoPE(q), RoPE(k), v)))
        attentionOutput.backward(act.context, new INDArray[] {act.xaO}, dWo, work.dContext, false, work.dyB,
                lora(act, work.dropO), work.workH);
        PackedAttention.backward(act.layout, act.qkv, wqkv.bias(), act.attention, act.context, act.logSumExp,
                work.dContext, work.dQkv);
        INDArray a = attentionNorm == null ? act.input : act.a;
        wqkv.backward(a, new INDArray[] {act.xaQkv}, work.dQkv, dx == null ? null : work.dm, false, work.dyB,
                lora(act, work.dropQkv), work.workH);
        if (dx == null) {
            return;
        }
        dx.assign(work.dh);
        if (attentionNorm == null) {
            dx.addi(work.dm);
        } else {
            attentionNorm.backward(act.xHatA, act.rstdA, work.dm, dx, true, null, null);
        }
    }
}
