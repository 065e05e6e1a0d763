package dev.embedtune.tokenizer;

import java.util.Arrays;

/** Appends normalized chars with their original-text alignment; produces a {@link Piece}. */
final class AlignedBuilder {
    char[] chars;
    int[] starts;
    int[] ends;
    int length;

    AlignedBuilder(int capacity) {
        int c = Math.max(16, capacity);
        chars = new char[c];
        starts = new int[c];
        ends = new int[c];
    }

    void append(char c, int start, int end) {
        if (length == chars.length) grow();
        chars[length] = c;
        starts[length] = start;
        ends[length] = end;
        length++;
    }

    /** Appends a code point (one or two chars), both halves aligned to the same range. */
    void appendCodePoint(int cp, int start, int end) {
        if (cp < Character.MIN_SUPPLEMENTARY_CODE_POINT) {
            append((char) cp, start, end);
        } else {
            append(Character.highSurrogate(cp), start, end);
            append(Character.lowSurrogate(cp), start, end);
        }
    }

    void append(String s, int start, int end) {
        for (int i = 0; i < s.length(); i++) append(s.charAt(i), start, end);
    }

    private void grow() {
        int n = chars.length * 2;
        chars = Arrays.copyOf(chars, n);
        starts = Arrays.copyOf(starts, n);
        ends = Arrays.copyOf(ends, n);
    }

    Piece build() {
        return new Piece(chars, starts, ends, 0, length);
    }
}
