package dev.embedtune.tokenizer;

import java.util.Arrays;

/** A growable boolean array. */
final class BoolList {
    private boolean[] data = new boolean[16];
    private int size;

    void add(boolean v) {
        if (size == data.length) data = Arrays.copyOf(data, size * 2);
        data[size++] = v;
    }

    boolean get(int i) {
        return data[i];
    }

    int size() {
        return size;
    }
}
