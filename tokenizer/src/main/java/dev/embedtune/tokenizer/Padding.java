package dev.embedtune.tokenizer;

/**
 * How batches are padded: to the longest encoding of the batch, or to a fixed length. Padding
 * goes on the right with the tokenizer's pad token, type id 0 and attention mask 0.
 *
 * @param fixedLength the fixed length, or 0 for "longest"
 */
public record Padding(int fixedLength) {
    public Padding {
        if (fixedLength < 0) throw new IllegalArgumentException("fixedLength must be >= 0, got " + fixedLength);
    }

    public static Padding longest() {
        return new Padding(0);
    }

    public static Padding fixed(int length) {
        if (length <= 0) throw new IllegalArgumentException("fixed padding length must be > 0, got " + length);
        return new Padding(length);
    }

    public boolean isFixed() {
        return fixedLength > 0;
    }
}
