package dev.embedtune.model.training;

import dev.embedtune.quant.BlockQuantizer;
import dev.embedtune.quant.QuantType;
import java.util.Locale;

/**
 * How the frozen linear weights of the encoder are held while training: dense float32 ({@code none}),
 * or block-quantised as bitsandbytes does (QLoRA: NF4 with double quantisation by default).
 *
 * @param type null for dense weights
 */
public record BaseQuantization(QuantType type, int blockSize, boolean doubleQuantize) {
    public static final BaseQuantization NONE = new BaseQuantization(null, 0, false);
    public static final BaseQuantization NF4 = new BaseQuantization(QuantType.NF4, BlockQuantizer.DEFAULT_BLOCK, true);

    public boolean quantized() {
        return type != null;
    }

    /** {@code none}, {@code nf4}, {@code fp4} or {@code int8} (double-quantised scales, block 64). */
    public static BaseQuantization parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "none", "fp32", "float32" -> NONE;
            case "nf4" -> NF4;
            case "fp4" -> new BaseQuantization(QuantType.FP4, BlockQuantizer.DEFAULT_BLOCK, true);
            case "int8" -> new BaseQuantization(QuantType.INT8, BlockQuantizer.DEFAULT_BLOCK, true);
            default -> throw new IllegalArgumentException("unknown quantisation '" + name + "': expected nf4, fp4, int8 or none");
        };
    }

    @Override
    public String toString() {
        return type == null ? "none" : type.name().toLowerCase(Locale.ROOT);
    }
}
