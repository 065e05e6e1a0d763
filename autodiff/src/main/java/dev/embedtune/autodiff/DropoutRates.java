package dev.embedtune.autodiff;

/**
 * The dropout probabilities of a BERT training forward, as Hugging Face and PEFT apply them in
 * train mode (inverted dropout: kept values scaled by 1/(1 − p)).
 *
 * @param hidden  {@code hidden_dropout_prob}: after the embedding LayerNorm and after the attention
 *                output and output dense layers, before their residual add
 * @param attention {@code attention_probs_dropout_prob}: on the attention probabilities
 * @param lora    {@code lora_dropout}: on the input of each adapter's A only
 */
public record DropoutRates(double hidden, double attention, double lora) {
    public static final DropoutRates NONE = new DropoutRates(0, 0, 0);

    public DropoutRates {
        check("hidden_dropout_prob", hidden);
        check("attention_probs_dropout_prob", attention);
        check("lora_dropout", lora);
    }

    /** Refuses a probability outside [0, 1), naming the setting. */
    static void check(String name, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + p);
        }
    }

    public boolean any() {
        return hidden > 0 || attention > 0 || lora > 0;
    }
}
