package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one attention call needs besides its inputs.
 *
 * @param heads N
 * @param cos RoPE cosines {@code [T', D/2]} by position (T' ≥ the batch's padded length), or null
 *            for no rotary embedding (BERT); {@code sin} likewise
 * @param reach a query sees the keys whose position is within {@code reach} of its own (ModernBERT's
 *              local layers: half the window); {@link #GLOBAL} for all keys
 * @param dropout the probability of dropping an attention probability (0: none)
 * @param rowSeeds one dropout seed per sequence, or null for no dropout (eval mode)
 * @param site the dropout site's seed mix (layer and place)
 */
public record AttentionSettings(int heads, INDArray cos, INDArray sin, int reach, double dropout, long[] rowSeeds,
        long site) {
    public static final int GLOBAL = Integer.MAX_VALUE;

    public AttentionSettings {
        if ((cos == null) != (sin == null)) {
            throw new IllegalArgumentException("RoPE needs both cos and sin tables");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("attention dropout must be in [0, 1), got " + dropout);
        }
    }

    /** Plain multi-head attention over all keys, no dropout. */
    public static AttentionSettings of(int heads) {
        return new AttentionSettings(heads, null, null, GLOBAL, 0, null, 0);
    }

    /** True when this call drops probabilities. */
    public boolean dropping() {
        return dropout > 0 && rowSeeds != null;
    }

    public boolean rotary() {
        return cos != null;
    }
}
