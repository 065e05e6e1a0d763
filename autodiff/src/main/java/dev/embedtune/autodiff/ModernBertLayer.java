package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.DropoutMask;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One pre-norm ModernBERT layer with forward and backward side by side, over {@code [M, H]} token rows:
 * <pre>
 *   a = attn_norm(x)                  (the identity in layer 0)
 *   q, k, v = column blocks of Wqkv(a)
 *   c = Attention(RoPE(q), RoPE(k), v, mask)     mask: padding (global layers) or padding + window (local)
 *   h = x + drop(Wo(c))                             (attention dropout on the probabilities and here)
 *   y = h + mlp.Wo(drop(GeGLU(Wi(mlp_norm(h)))))
 * </pre>
 * Dropout (plus PEFT's LoRA dropout on each adapter's input) applies only when the forward is given
 * row seeds; masks are saved in the {@link Activations} and reused by the backward. As in
 * {@link BertLayer}, the backward computes only what reaches a trainable tensor: input gradients
 * through every frozen linear and norm, adapter gradients where there is one, bias and norm
 * gradients where those train.
 */
public final class ModernBertLayer {
    private final LayerNorm attentionNorm, mlpNorm;
    private final LoraLinear wqkv, attentionOutput, wi, mlpOutput;
    private final Attention attention;
    private final Rope rope;
    private final int index;
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
        this.attention = new Attention(heads);
        this.rope = new Rope(heads);
    }

    /** The saved activations of one forward pass through a layer, and its backward work buffers. */
    public static final class Activations {
        final long batch, tokens, hidden;
        INDArray input;                                       // not owned: the previous layer's output
        final INDArray a, xHatA, rstdA, qkv, raw, qr, kr, v, probs, context, h, m, xHatM, rstdM, u, gateInput, geluA, g, out;
        final INDArray ropeWork, xaQkv, xaO, xaI, xaMo;
        // backward work buffers
        final INDArray dh, dm, dTmp, dContext, dqr, dkr, dv, dqkv, dProbs, du, dg, dyB;
        // dropout masks (0 or 1/(1−p)), allocated only for a training pass with that dropout
        final INDArray dropProbs, dropAttentionOut, dropMlp;                   // [B, N, T, T], [M, H], [M, F]
        final INDArray dropQkv, dropO, dropI, dropMlpO, workH, workF;          // LoRA inputs and scratch
        boolean dropping;                                                      // this pass drew masks

        /**
         * @param gradients false for a forward-only pass: no backward buffers, and {@link #backward}
         *                  cannot run on it
         */
        public Activations(DataType type, long batch, long tokens, long hidden, long inner, int heads, long rank,
                boolean gradients) {
            this(type, batch, tokens, hidden, inner, heads, rank, gradients, ModernBertDropoutRates.NONE);
        }

        /** @param rates which dropout masks to allocate (a training pass only: inference never drops) */
        public Activations(DataType type, long batch, long tokens, long hidden, long inner, int heads, long rank,
                boolean gradients, ModernBertDropoutRates rates) {
            this.batch = batch;
            this.tokens = tokens;
            this.hidden = hidden;
            long mRows = batch * tokens, r = Math.max(rank, 1);
            a = Nd4j.create(type, mRows, hidden);
            xHatA = Nd4j.create(type, mRows, hidden);
            rstdA = Nd4j.create(type, mRows, 1);
            qkv = Nd4j.create(type, mRows, 3 * hidden);
            raw = Nd4j.create(type, mRows, hidden);
            qr = Nd4j.create(type, mRows, hidden);
            kr = Nd4j.create(type, mRows, hidden);
            v = Nd4j.create(type, mRows, hidden);
            probs = Nd4j.create(type, batch, heads, tokens, tokens);
            context = Nd4j.create(type, mRows, hidden);
            h = Nd4j.create(type, mRows, hidden);
            m = Nd4j.create(type, mRows, hidden);
            xHatM = Nd4j.create(type, mRows, hidden);
            rstdM = Nd4j.create(type, mRows, 1);
            u = Nd4j.create(type, mRows, 2 * inner);
            gateInput = Nd4j.create(type, mRows, inner);
            geluA = Nd4j.create(type, mRows, inner);
            g = Nd4j.create(type, mRows, inner);
            out = Nd4j.create(type, mRows, hidden);
            ropeWork = Nd4j.create(type, batch, tokens, heads, hidden / heads / 2);
            xaQkv = Nd4j.create(type, mRows, r);
            xaO = Nd4j.create(type, mRows, r);
            xaI = Nd4j.create(type, mRows, r);
            xaMo = Nd4j.create(type, mRows, r);
            dh = gradients ? Nd4j.create(type, mRows, hidden) : null;
            dm = gradients ? Nd4j.create(type, mRows, hidden) : null;
            dTmp = gradients ? Nd4j.create(type, mRows, hidden) : null;
            dContext = gradients ? Nd4j.create(type, mRows, hidden) : null;
            dqr = gradients ? Nd4j.create(type, mRows, hidden) : null;
            dkr = gradients ? Nd4j.create(type, mRows, hidden) : null;
            dv = gradients ? Nd4j.create(type, mRows, hidden) : null;
            dqkv = gradients ? Nd4j.create(type, mRows, 3 * hidden) : null;
            dProbs = gradients ? Nd4j.create(type, batch, heads, tokens, tokens) : null;
            du = gradients ? Nd4j.create(type, mRows, 2 * inner) : null;
            dg = gradients ? Nd4j.create(type, mRows, inner) : null;
            dyB = gradients ? Nd4j.create(type, mRows, r) : null;
            boolean attentionDrop = gradients && rates.attention() > 0, mlpDrop = gradients && rates.mlp() > 0,
                    loraDrop = gradients && rates.lora() > 0;
            dropProbs = attentionDrop ? Nd4j.create(type, batch, heads, tokens, tokens) : null;
            dropAttentionOut = attentionDrop ? Nd4j.create(type, mRows, hidden) : null;
            dropMlp = mlpDrop ? Nd4j.create(type, mRows, inner) : null;
            dropQkv = loraDrop ? Nd4j.create(type, mRows, hidden) : null;
            dropO = loraDrop ? Nd4j.create(type, mRows, hidden) : null;
            dropI = loraDrop ? Nd4j.create(type, mRows, hidden) : null;
            dropMlpO = loraDrop ? Nd4j.create(type, mRows, inner) : null;
            workH = loraDrop ? Nd4j.create(type, mRows, hidden) : null;
            workF = loraDrop ? Nd4j.create(type, mRows, inner) : null;
        }

        /** Frees the native memory of every buffer now (see {@link BertLayer.Activations#close()}). */
        public void close() {
            Buffers.close(a, xHatA, rstdA, qkv, raw, qr, kr, v, probs, context, h, m, xHatM, rstdM, u,
                    gateInput, geluA, g, out, ropeWork, xaQkv, xaO, xaI, xaMo, dh, dm, dTmp, dContext, dqr, dkr, dv, dqkv, dProbs, du,
                    dg, dyB, dropProbs, dropAttentionOut, dropMlp, dropQkv, dropO, dropI, dropMlpO, workH, workF);
            input = null;
        }

        /** The layer's output [M, H]. */
        public INDArray output() {
            return out;
        }

        /** The mask when this pass drops there, else null. */
        private INDArray mask(INDArray m) {
            return dropping ? m : null;
        }

        /** Column block {@code i} (q, k or v) of a [M, 3H] array. */
        INDArray block(INDArray fused, int i) {
            return fused.get(NDArrayIndex.all(), NDArrayIndex.interval(i * hidden, (i + 1) * hidden));
        }
    }

    /** Runs the layer in eval mode (no dropout); the output is {@code act.output()}. */
    public void forward(INDArray x, INDArray mask, INDArray cos, INDArray sin, Activations act) {
        forward(x, mask, cos, sin, act, null);
    }

    /**
     * Runs the layer on {@code x} [M, H]; the output is {@code act.output()}. With {@code rowSeeds}
     * (one per batch row) it applies this layer's dropout (train mode), without them none.
     *
     * @param mask [B, T] key mask (global attention) or [B, T, T] query-key mask (sliding window)
     * @param cos, sin RoPE tables [T, D/2] for this layer's θ
     */
    public void forward(INDArray x, INDArray mask, INDArray cos, INDArray sin, Activations act, long[] rowSeeds) {
        act.input = x;
        act.dropping = rowSeeds != null && rates.any();
        if (act.dropping) {
            if (act.dh == null) {
                throw new IllegalStateException("dropout in a forward-only (inference) pass");
            }
            fill(act.dropProbs, rates.attention(), rowSeeds, PROBS);
            fill(act.dropAttentionOut, rates.attention(), rowSeeds, ATTENTION_OUT);
            fill(act.dropMlp, rates.mlp(), rowSeeds, MLP);
            fill(act.dropQkv, rates.lora(), rowSeeds, LORA_QKV);
            fill(act.dropO, rates.lora(), rowSeeds, LORA_O);
            fill(act.dropI, rates.lora(), rowSeeds, LORA_I);
            fill(act.dropMlpO, rates.lora(), rowSeeds, LORA_MLP_O);
        }
        INDArray a = x;
        if (attentionNorm != null) {
            attentionNorm.forward(x, act.xHatA, act.rstdA, act.a);
            a = act.a;
        }
        wqkv.forward(a, act.qkv, act.xaQkv, act.mask(act.dropQkv), act.workH);
        act.raw.assign(act.block(act.qkv, 0));
        rope.forward(act.raw, act.batch, act.tokens, cos, sin, act.qr, act.ropeWork);
        act.raw.assign(act.block(act.qkv, 1));
        rope.forward(act.raw, act.batch, act.tokens, cos, sin, act.kr, act.ropeWork);
        act.v.assign(act.block(act.qkv, 2));
        attention.forward(act.qr, act.kr, act.v, mask, act.probs, act.context, act.mask(act.dropProbs), act.dProbs);
        attentionOutput.forward(act.context, act.h, act.xaO, act.mask(act.dropO), act.workH);
        if (act.mask(act.dropAttentionOut) != null) {
            act.h.muli(act.dropAttentionOut);
        }
        act.h.addi(x);
        mlpNorm.forward(act.h, act.xHatM, act.rstdM, act.m);
        wi.forward(act.m, act.u, act.xaI, act.mask(act.dropI), act.workH);
        GeGlu.forward(act.u, act.gateInput, act.geluA, act.g);
        if (act.mask(act.dropMlp) != null) {
            act.g.muli(act.dropMlp);                  // g is mlp.Wo's input: saved dropped
        }
        mlpOutput.forward(act.g, act.out, act.xaMo, act.mask(act.dropMlpO), act.workF);
        act.out.addi(act.h);
    }

    private void fill(INDArray mask, double p, long[] rowSeeds, int site) {
        if (mask != null) {
            DropoutMask.fill(mask, p, rowSeeds, BertLayer.site(index, site));
        }
    }

    /**
     * Back-propagates {@code dOut} [M, H]: adds adapter (and trainable bias/norm) gradients, and writes
     * dL/dx into {@code dx} unless it is null (nothing before this layer needs it).
     */
    public void backward(INDArray dOut, INDArray dx, INDArray cos, INDArray sin, Activations act) {
        if (act.dh == null) {
            throw new IllegalStateException("backward through a forward-only (inference) pass");
        }
        // MLP branch: y = h + mlp.Wo(drop(GeGLU(Wi(mlp_norm(h)))))
        mlpOutput.backward(act.g, act.xaMo, dOut, act.dg, false, act.dyB, act.mask(act.dropMlpO), act.workF);
        if (act.mask(act.dropMlp) != null) {
            act.dg.muli(act.dropMlp);
        }
        GeGlu.backward(act.u, act.geluA, act.dg, act.du, act.gateInput, act.g);   // g is free once mlp.Wo's backward ran
        wi.backward(act.m, act.xaI, act.du, act.dm, false, act.dyB, act.mask(act.dropI), act.workH);
        mlpNorm.backward(act.xHatM, act.rstdM, act.dm, act.dContext, act.dTmp);
        act.dh.assign(dOut).addi(act.dContext);
        // attention branch: h = x + drop(Wo(Attention(RoPE(q), RoPE(k), v)))
        INDArray dWo = act.dh;
        if (act.mask(act.dropAttentionOut) != null) {
            dWo = act.dTmp.assign(act.dh).muli(act.dropAttentionOut);
        }
        attentionOutput.backward(act.context, act.xaO, dWo, act.dContext, false, act.dyB, act.mask(act.dropO), act.workH);
        attention.backward(act.qr, act.kr, act.v, act.probs, act.mask(act.dropProbs), act.dContext, act.dProbs, act.dqr,
                act.dkr, act.dv);
        rope.backward(act.dqr, act.batch, act.tokens, cos, sin, act.raw, act.ropeWork);
        act.block(act.dqkv, 0).assign(act.raw);
        rope.backward(act.dkr, act.batch, act.tokens, cos, sin, act.raw, act.ropeWork);
        act.block(act.dqkv, 1).assign(act.raw);
        act.block(act.dqkv, 2).assign(act.dv);
        INDArray a = attentionNorm == null ? act.input : act.a;
        wqkv.backward(a, act.xaQkv, act.dqkv, dx == null ? null : act.dm, false, act.dyB, act.mask(act.dropQkv), act.workH);
        if (dx == null) {
            return;
        }
        dx.assign(act.dh);
        if (attentionNorm == null) {
            dx.addi(act.dm);
        } else {
            attentionNorm.backward(act.xHatA, act.rstdA, act.dm, act.dTmp, act.dContext);
            dx.addi(act.dTmp);
        }
    }
}
