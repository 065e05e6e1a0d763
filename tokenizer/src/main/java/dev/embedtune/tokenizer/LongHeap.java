package dev.embedtune.tokenizer;

import java.util.Arrays;

/** A binary min-heap of longs. */
final class LongHeap {
    private long[] data;
    private int size;

    LongHeap(int capacity) {
        data = new long[capacity];
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long v) {
        if (size == data.length) data = Arrays.copyOf(data, size * 2);
        int i = size++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (data[p] <= v) break;
            data[i] = data[p];
            i = p;
        }
        data[i] = v;
    }

    long pop() {
        long top = data[0];
        long last = data[--size];
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) break;
            int m = l + 1 < size && data[l + 1] < data[l] ? l + 1 : l;
            if (data[m] >= last) break;
            data[i] = data[m];
            i = m;
        }
        if (size > 0) data[i] = last;
        return top;
    }
}
