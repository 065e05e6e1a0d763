package dev.embedtune.model.lora;

import java.util.Locale;

/**
 * PEFT's {@code LoraConfig.bias}: which biases train beside the adapters.
 * <ul>
 *   <li>{@code none}: no bias trains;</li>
 *   <li>{@code all}: every parameter whose name contains "bias" (linear biases, adapted or not, and
 *       LayerNorm biases, the embeddings' included);</li>
 *   <li>{@code lora_only}: the biases of the adapted linears only.</li>
 * </ul>
 */
public enum LoraBias {
    NONE, ALL, LORA_ONLY;

    /** The name in adapter_config.json. */
    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the setting and the accepted values */
    public static LoraBias parse(String s) {
        for (LoraBias b : values()) {
            if (b.peftName().equals(s == null ? null : s.trim().toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("bias must be none, all or lora_only, got '" + s + "'");
    }
}
