package dev.embedtune.tokenizer;

import java.util.Arrays;

/** The tokens of one sequence as the model emits them: ids with original-text offsets. */
final class TokenList {
    int[] ids;
    int[] starts;
    int[] ends;
    int size;

    TokenList(int capacity) {
        int c = Math.max(8, capacity);
        ids = new int[c];
        starts = new int[c];
        ends = new int[c];
    }

    void add(int id, int start, int end) {
        if (size == ids.length) {
            int n = size * 2;
            ids = Arrays.copyOf(ids, n);
            starts = Arrays.copyOf(starts, n);
            ends = Arrays.copyOf(ends, n);
        }
        ids[size] = id;
        starts[size] = start;
        ends[size] = end;
        size++;
    }

    /** Keeps the first {@code n} tokens (Hugging Face's right-side truncation). */
    void truncate(int n) {
        if (n < size) size = Math.max(0, n);
    }
}
