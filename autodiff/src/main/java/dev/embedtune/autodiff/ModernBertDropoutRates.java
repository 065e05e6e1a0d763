package dev.embedtune.autodiff;

/**
 * The dropout probabilities of a ModernBERT training forward, where Hugging Face's ModernBertModel
 * and PEFT apply them in train mode (inverted dropout: kept values scaled by 1/(1 − p)). All three
 * model rates are 0 in the released checkpoints.
 *
 * @param embedding {@code embedding_dropout}: after the embedding norm
 * @param attention {@code attention_dropout}: on the attention probabilities, and on Wo's output
 *                  before the residual add ({@code out_drop})
 * @param mlp       {@code mlp_dropout}: on GeGLU's output, before mlp.Wo
 * @param lora      {@code lora_dropout}: on the input of each adapter's A only
 */
public record ModernBertDropoutRates(double embedding, double attention, double mlp, double lora) {
    public static final ModernBertDropoutRates NONE = new ModernBertDropoutRates(0, 0, 0, 0);

    public ModernBertDropoutRates {
        DropoutRates.check("embedding_dropout", embedding);
        DropoutRates.check("attention_dropout", attention);
        DropoutRates.check("mlp_dropout", mlp);
        DropoutRates.check("lora_dropout", lora);
    }

    public boolean any() {
        return embedding > 0 || attention > 0 || mlp > 0 || lora > 0;
    }
}
