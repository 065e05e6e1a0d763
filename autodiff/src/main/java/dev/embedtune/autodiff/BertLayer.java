package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.autodiff.kernels.Gelu;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One post-LN BERT layer with forward and backward side by side, over {@code [M, H]} token rows:
 * <pre>
 *   q, k, v = Lq(x), Lk(x), Lv(x)
 *   c = Attention(q, k, v, mask)                     (dropout on the probabilities)
 *   h = LN1(x + drop(Lo(c)))
 *   y = LN2(h + drop(L2(gelu(L1(h)))))
 * </pre>
 * Dropout (HF BertLayer in train mode, plus PEFT's LoRA dropout on each adapter's input) applies
 * only when the forward is given row seeds; masks are saved in the {@link Activations} and reused by
 * the backward. The backward computes only what reaches a trainable tensor: input gradients through
 * every frozen linear, adapter gradients where there is an adapter, bias and LayerNorm gradients
 * where those train, never a gradient of a frozen weight.
 * Activations live in an {@link Activations} per forward pass, reused while the shape stays the same.
 */
public final class BertLayer {
    /** Dropout sites of a layer: mask seeds are (row seed, 16 · (layer + 1) + site); site 0 of layer −1 is the embeddings'. */
    private static final int PROBS = 0, ATTENTION_OUT = 1, OUTPUT = 2, LORA_Q = 3, LORA_K = 4, LORA_V = 5, LORA_O = 6,
            LORA_I = 7, LORA_OUT = 8;

    private final LoraLinear query, key, value, attentionOutput, intermediate, output;
    private final LayerNorm attentionNorm, outputNorm;
    private final Attention attention;
    private final int index;
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
        this.query = query;
        this.key = key;
        this.value = value;
        this.attentionOutput = attentionOutput;
        this.attentionNorm = attentionNorm;
        this.intermediate = intermediate;
        this.output = output;
        this.outputNorm = outputNorm;
        this.attention = new Attention(heads);
        this.index = index;
        this.rates = rates;
    }

    /** The seed site of dropout mask {@code site} of layer {@code layer} (−1: the embeddings). */
    public static long site(int layer, int site) {
        return 16L * (layer + 1) + site;
    }

    /** The saved activations of one forward pass through this layer, and its backward work buffers. */
    public static final class Activations {
        final long batch, tokens;
        INDArray input;                                   // not owned: the previous layer's output
        final INDArray q, k, v, context, probs, h, xHat1, rstd1, u, g, xHat2, rstd2, out, sum;
        final INDArray xaQ, xaK, xaV, xaO, xaI, xaOut;
        // backward work buffers
        final INDArray dz, dh, dContext, dq, dk, dv, dProbs, dInner, dyB;
        // dropout masks (0 or 1/(1−p)), allocated only for a training pass with that dropout
        final INDArray dropProbs, dropAttentionOut, dropOutput;        // [B, N, T, T], [M, H], [M, H]
        final INDArray dropQ, dropK, dropV, dropO, dropI, dropOut;      // LoRA inputs: [M, H] ×5, [M, I]
        final INDArray workH, workI;                                    // [M, H], [M, I]: LoRA dropout scratch
        boolean dropping;                                               // this pass drew masks

        public Activations(DataType type, long batch, long tokens, long hidden, long inner, int heads, long rank) {
            this(type, batch, tokens, hidden, inner, heads, rank, true);
        }

        /**
         * @param gradients false for a forward-only (inference) pass: the backward work buffers, a
         *                  third of the memory, are not allocated and {@link #backward} cannot run on it
         */
        public Activations(DataType type, long batch, long tokens, long hidden, long inner, int heads, long rank,
                boolean gradients) {
            this(type, batch, tokens, hidden, inner, heads, rank, gradients, DropoutRates.NONE);
        }

        /** @param rates which dropout masks to allocate (a training pass only: inference never drops) */
        public Activations(DataType type, long batch, long tokens, long hidden, long inner, int heads, long rank,
                boolean gradients, DropoutRates rates) {
            this.batch = batch;
            this.tokens = tokens;
            long m = batch * tokens, r = Math.max(rank, 1);
            q = Nd4j.create(type, m, hidden);
            k = Nd4j.create(type, m, hidden);
            v = Nd4j.create(type, m, hidden);
            context = Nd4j.create(type, m, hidden);
            probs = Nd4j.create(type, batch, heads, tokens, tokens);
            h = Nd4j.create(type, m, hidden);
            xHat1 = Nd4j.create(type, m, hidden);
            rstd1 = Nd4j.create(type, m, 1);
            u = Nd4j.create(type, m, inner);
            g = Nd4j.create(type, m, inner);
            xHat2 = Nd4j.create(type, m, hidden);
            rstd2 = Nd4j.create(type, m, 1);
            out = Nd4j.create(type, m, hidden);
            sum = Nd4j.create(type, m, hidden);
            xaQ = Nd4j.create(type, m, r);
            xaK = Nd4j.create(type, m, r);
            xaV = Nd4j.create(type, m, r);
            xaO = Nd4j.create(type, m, r);
            xaI = Nd4j.create(type, m, r);
            xaOut = Nd4j.create(type, m, r);
            dz = gradients ? Nd4j.create(type, m, hidden) : null;
            dh = gradients ? Nd4j.create(type, m, hidden) : null;
            dContext = gradients ? Nd4j.create(type, m, hidden) : null;
            dq = gradients ? Nd4j.create(type, m, hidden) : null;
            dk = gradients ? Nd4j.create(type, m, hidden) : null;
            dv = gradients ? Nd4j.create(type, m, hidden) : null;
            dProbs = gradients ? Nd4j.create(type, batch, heads, tokens, tokens) : null;
            dInner = gradients ? Nd4j.create(type, m, inner) : null;
            dyB = gradients ? Nd4j.create(type, m, r) : null;
            boolean attentionDrop = gradients && rates.attention() > 0, hiddenDrop = gradients && rates.hidden() > 0,
                    loraDrop = gradients && rates.lora() > 0;
            dropProbs = attentionDrop ? Nd4j.create(type, batch, heads, tokens, tokens) : null;
            dropAttentionOut = hiddenDrop ? Nd4j.create(type, m, hidden) : null;
            dropOutput = hiddenDrop ? Nd4j.create(type, m, hidden) : null;
            dropQ = loraDrop ? Nd4j.create(type, m, hidden) : null;
            dropK = loraDrop ? Nd4j.create(type, m, hidden) : null;
            dropV = loraDrop ? Nd4j.create(type, m, hidden) : null;
            dropO = loraDrop ? Nd4j.create(type, m, hidden) : null;
            dropI = loraDrop ? Nd4j.create(type, m, hidden) : null;
            dropOut = loraDrop ? Nd4j.create(type, m, inner) : null;
            workH = loraDrop ? Nd4j.create(type, m, hidden) : null;
            workI = loraDrop ? Nd4j.create(type, m, inner) : null;
        }

        /**
         * Frees the native memory of every buffer now, rather than when the garbage collector gets to
         * them: a pass of 32 × 128 tokens holds about 200 MB a layer, and a heap that rarely collects
         * would otherwise let replaced passes pile up off-heap.
         */
        public void close() {
            Buffers.close(q, k, v, context, probs, h, xHat1, rstd1, u, g, xHat2, rstd2, out, sum,
                    xaQ, xaK, xaV, xaO, xaI, xaOut, dz, dh, dContext, dq, dk, dv, dProbs, dInner, dyB,
                    dropProbs, dropAttentionOut, dropOutput, dropQ, dropK, dropV, dropO, dropI, dropOut, workH, workI);
            input = null;
        }

        public boolean fits(DataType type, long batch, long tokens) {
            return this.batch == batch && this.tokens == tokens && q.dataType() == type;
        }

        /** The layer's output [M, H]. */
        public INDArray output() {
            return out;
        }

        /** The mask when this pass drops there, else null. */
        private INDArray mask(INDArray m) {
            return dropping ? m : null;
        }
    }

    /** Runs the layer on {@code x} [M, H] with key mask [B, T]; no dropout. The output is {@code act.output()}. */
    public void forward(INDArray x, INDArray keyMask, Activations act) {
        forward(x, keyMask, act, null);
    }

    /**
     * Runs the layer; with {@code rowSeeds} (one per batch row) it applies this layer's dropout rates
     * (train mode), without them none (eval mode).
     */
    public void forward(INDArray x, INDArray keyMask, Activations act, long[] rowSeeds) {
        act.input = x;
        act.dropping = rowSeeds != null && rates.any();
        if (act.dropping) {
            if (act.dz == null) {
                throw new IllegalStateException("dropout in a forward-only (inference) pass");
            }
            fill(act.dropProbs, rates.attention(), rowSeeds, PROBS);
            fill(act.dropAttentionOut, rates.hidden(), rowSeeds, ATTENTION_OUT);
            fill(act.dropOutput, rates.hidden(), rowSeeds, OUTPUT);
            fill(act.dropQ, rates.lora(), rowSeeds, LORA_Q);
            fill(act.dropK, rates.lora(), rowSeeds, LORA_K);
            fill(act.dropV, rates.lora(), rowSeeds, LORA_V);
            fill(act.dropO, rates.lora(), rowSeeds, LORA_O);
            fill(act.dropI, rates.lora(), rowSeeds, LORA_I);
            fill(act.dropOut, rates.lora(), rowSeeds, LORA_OUT);
        }
        query.forward(x, act.q, act.xaQ, act.mask(act.dropQ), act.workH);
        key.forward(x, act.k, act.xaK, act.mask(act.dropK), act.workH);
        value.forward(x, act.v, act.xaV, act.mask(act.dropV), act.workH);
        attention.forward(act.q, act.k, act.v, keyMask, act.probs, act.context, act.mask(act.dropProbs), act.dProbs);
        attentionOutput.forward(act.context, act.sum, act.xaO, act.mask(act.dropO), act.workH);
        if (act.mask(act.dropAttentionOut) != null) {
            act.sum.muli(act.dropAttentionOut);
        }
        act.sum.addi(x);
        attentionNorm.forward(act.sum, act.xHat1, act.rstd1, act.h);
        intermediate.forward(act.h, act.u, act.xaI, act.mask(act.dropI), act.workH);
        Gelu.forward(act.u, act.g);
        output.forward(act.g, act.sum, act.xaOut, act.mask(act.dropOut), act.workI);
        if (act.mask(act.dropOutput) != null) {
            act.sum.muli(act.dropOutput);
        }
        act.sum.addi(act.h);
        outputNorm.forward(act.sum, act.xHat2, act.rstd2, act.out);
    }

    private void fill(INDArray mask, double p, long[] rowSeeds, int site) {
        if (mask != null) {
            DropoutMask.fill(mask, p, rowSeeds, site(index, site));
        }
    }

    /**
     * Back-propagates {@code dOut} [M, H]: adds adapter (and trainable bias/LayerNorm) gradients, and
     * writes dL/dx into {@code dx} unless it is null (nothing before this layer needs it).
     */
    public void backward(INDArray dOut, INDArray dx, Activations act) {
        if (act.dz == null) {
            throw new IllegalStateException("backward through a forward-only (inference) pass");
        }
        outputNorm.backward(act.xHat2, act.rstd2, dOut, act.dz, act.sum);
        // dz: dL/d(residual sum) reaches h as is, and the output dense through the dropout mask
        act.dh.assign(act.dz);
        if (act.mask(act.dropOutput) != null) {
            act.dz.muli(act.dropOutput);
        }
        output.backward(act.g, act.xaOut, act.dz, act.dInner, false, act.dyB, act.mask(act.dropOut), act.workI);
        Gelu.backward(act.u, act.dInner, act.dInner, act.g);   // g is free once output.backward has run
        intermediate.backward(act.h, act.xaI, act.dInner, act.dh, true, act.dyB, act.mask(act.dropI), act.workH);
        attentionNorm.backward(act.xHat1, act.rstd1, act.dh, act.dz, act.sum);
        if (dx != null) {
            dx.assign(act.dz);
        }
        if (act.mask(act.dropAttentionOut) != null) {
            act.dz.muli(act.dropAttentionOut);
        }
        attentionOutput.backward(act.context, act.xaO, act.dz, act.dContext, false, act.dyB, act.mask(act.dropO),
                act.workH);
        attention.backward(act.q, act.k, act.v, act.probs, act.mask(act.dropProbs), act.dContext, act.dProbs, act.dq,
                act.dk, act.dv);
        query.backward(act.input, act.xaQ, act.dq, dx, true, act.dyB, act.mask(act.dropQ), act.workH);
        key.backward(act.input, act.xaK, act.dk, dx, true, act.dyB, act.mask(act.dropK), act.workH);
        value.backward(act.input, act.xaV, act.dv, dx, true, act.dyB, act.mask(act.dropV), act.workH);
    }
}
