package dev.embedtune.model.embed;

/**
 * Output precisions of sentence-transformers' {@code quantize_embeddings}.
 * <ul>
 *   <li>{@code FLOAT32}: the embedding as is.</li>
 *   <li>{@code UINT8} / {@code INT8}: per dimension, {@code floor((x − min) / ((max − min) / 255))}
 *       clipped to 0..255 (a zero step counts as 1), minus 128 for INT8; min and max per dimension
 *       come from given ranges, calibration embeddings, or the embeddings themselves.</li>
 *   <li>{@code UBINARY} / {@code BINARY}: one bit per dimension ({@code x > 0}), packed eight to a
 *       byte with the first dimension in the most significant bit and zero padding at the end
 *       (numpy's packbits); BINARY is that byte minus 128, as int8.</li>
 * </ul>
 */
public enum Precision {
    FLOAT32, INT8, UINT8, BINARY, UBINARY;

    /** The lower-case name used by sentence-transformers and the CLI. */
    public String key() {
        return name().toLowerCase();
    }

    /** @throws IllegalArgumentException listing the precisions for an unknown name */
    public static Precision parse(String name) {
        for (Precision p : values()) {
            if (p.key().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("precision must be one of float32, int8, uint8, binary, ubinary; got " + name);
    }
}
