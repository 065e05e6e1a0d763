package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.Gelu;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One post-LN BERT layer with forward and backward side by side, over {@code [M, H]} token rows:
 * <pre>
 *   q, k, v = Lq(x), Lk(x), Lv(x)
 *   c = Attention(q, k, v, mask)
 *   h = LN1(x + Lo(c))
 *   y = LN2(h + L2(gelu(L1(h))))
 * </pre>
 * The backward computes only what reaches a LoRA adapter: input gradients through every frozen
 * linear, adapter gradients where there is an adapter, never a gradient of a frozen weight.
 * Activations live in an {@link Activations} per forward pass, reused while the shape stays the same.
 */
public final class BertLayer {
    private final LoraLinear query, key, value, attentionOutput, intermediate, output;
    private final LayerNorm attentionNorm, outputNorm;
    private final Attention attention;

    public BertLayer(LoraLinear query, LoraLinear key, LoraLinear value, LoraLinear attentionOutput,
            LayerNorm attentionNorm, LoraLinear intermediate, LoraLinear output, LayerNorm outputNorm, int heads) {
        this.query = query;
        this.key = key;
        this.value = value;
        this.attentionOutput = attentionOutput;
        this.attentionNorm = attentionNorm;
        this.intermediate = intermediate;
        this.output = output;
        this.outputNorm = outputNorm;
        this.attention = new Attention(heads);
    }

    /** The saved activations of one forward pass through this layer, and its backward work buffers. */
    public static final class Activations {
        final long batch, tokens;
        INDArray input;                                   // not owned: the previous layer's output
        final INDArray q, k, v, context, probs, h, xHat1, rstd1, u, g, xHat2, rstd2, out, sum;
        final INDArray xaQ, xaK, xaV, xaO, xaI, xaOut;
        // backward work buffers
        final INDArray dz, dh, dContext, dq, dk, dv, dProbs, dInner, dyB;

        public Activations(DataType type, long batch, long tokens, long hidden, long inner, int heads, long rank) {
            this(type, batch, tokens, hidden, inner, heads, rank, true);
        }

        /**
         * @param gradients false for a forward-only (inference) pass: the backward work buffers, a
         *                  third of the memory, are not allocated and {@link #backward} cannot run on it
         */
        public Activations(DataType type, long batch, long tokens, long hidden, long inner, int heads, long rank,
                boolean gradients) {
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
        }

        /**
         * Frees the native memory of every buffer now, rather than when the garbage collector gets to
         * them: a pass of 32 × 128 tokens holds about 200 MB a layer, and a heap that rarely collects
         * would otherwise let replaced passes pile up off-heap.
         */
        public void close() {
            for (INDArray a : new INDArray[] {q, k, v, context, probs, h, xHat1, rstd1, u, g, xHat2, rstd2, out, sum,
                    xaQ, xaK, xaV, xaO, xaI, xaOut, dz, dh, dContext, dq, dk, dv, dProbs, dInner, dyB}) {
                if (a != null && a.closeable()) {
                    a.close();
                }
            }
            input = null;
        }

        public boolean fits(DataType type, long batch, long tokens) {
            return this.batch == batch && this.tokens == tokens && q.dataType() == type;
        }

        /** The layer's output [M, H]. */
        public INDArray output() {
            return out;
        }
    }

    /** Runs the layer on {@code x} [M, H] with key mask [B, T]; the output is {@code act.output()}. */
    public void forward(INDArray x, INDArray keyMask, Activations act) {
        act.input = x;
        query.forward(x, act.q, act.xaQ);
        key.forward(x, act.k, act.xaK);
        value.forward(x, act.v, act.xaV);
        attention.forward(act.q, act.k, act.v, keyMask, act.probs, act.context);
        attentionOutput.forward(act.context, act.sum, act.xaO);
        act.sum.addi(x);
        attentionNorm.forward(act.sum, act.xHat1, act.rstd1, act.h);
        intermediate.forward(act.h, act.u, act.xaI);
        Gelu.forward(act.u, act.g);
        output.forward(act.g, act.sum, act.xaOut);
        act.sum.addi(act.h);
        outputNorm.forward(act.sum, act.xHat2, act.rstd2, act.out);
    }

    /**
     * Back-propagates {@code dOut} [M, H]: adds adapter gradients, and writes dL/dx into {@code dx}
     * unless it is null (the first layer: embeddings are frozen, so nothing needs it).
     */
    public void backward(INDArray dOut, INDArray dx, Activations act) {
        if (act.dz == null) {
            throw new IllegalStateException("backward through a forward-only (inference) pass");
        }
        outputNorm.backward(act.xHat2, act.rstd2, dOut, act.dz, act.sum);
        output.backward(act.g, act.xaOut, act.dz, act.dInner, false, act.dyB);
        Gelu.backward(act.u, act.dInner, act.dInner, act.g);   // g is free once output.backward has run
        act.dh.assign(act.dz);
        intermediate.backward(act.h, act.xaI, act.dInner, act.dh, true, act.dyB);
        attentionNorm.backward(act.xHat1, act.rstd1, act.dh, act.dz, act.sum);
        attentionOutput.backward(act.context, act.xaO, act.dz, act.dContext, false, act.dyB);
        attention.backward(act.q, act.k, act.v, act.probs, act.dContext, act.dProbs, act.dq, act.dk, act.dv);
        if (dx != null) {
            dx.assign(act.dz);
        }
        query.backward(act.input, act.xaQ, act.dq, dx, true, act.dyB);
        key.backward(act.input, act.xaK, act.dk, dx, true, act.dyB);
        value.backward(act.input, act.xaV, act.dv, dx, true, act.dyB);
    }
}
