package dev.embedtune.tokenizer;

import java.util.Arrays;

/** A growable int array (no boxing on the hot path). */
final class IntList {
    private int[] data;
    private int size;

    IntList(int capacity) {
        data = new int[Math.max(4, capacity)];
    }

    IntList() {
        this(16);
    }

    void add(int v) {
        if (size == data.length) data = Arrays.copyOf(data, size * 2);
        data[size++] = v;
    }

    int get(int i) {
        return data[i];
    }

    void set(int i, int v) {
        data[i] = v;
    }

    int size() {
        return size;
    }

}
