package dev.embedtune.tokenizer;

/**
 * A slice {@code [from, to)} of an aligned text: normalized UTF-16 chars, each carrying the range
 * {@code [starts[i], ends[i])} of the ORIGINAL input it came from (Hugging Face's
 * {@code NormalizedString} alignments, kept per char instead of per byte). Splitting shares the
 * arrays, so pre-tokenizers that only cut the text allocate nothing but the slice itself.
 */
final class Piece {
    final char[] chars;
    final int[] starts;
    final int[] ends;
    final int from;
    final int to;
    Piece(char[] chars, int[] starts, int[] ends, int from, int to) {
        this.chars = chars;
        this.starts = starts;
        this.ends = ends;
        this.from = from;
        this.to = to;
    }

    Piece slice(int newFrom, int newTo) {
        return new Piece(chars, starts, ends, newFrom, newTo);
    }

    int length() {
        return to - from;
    }

    boolean isEmpty() {
        return to <= from;
    }

    @Override
    public String toString() {
        return new String(chars, from, to - from);
    }
}
