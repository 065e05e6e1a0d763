package dev.embedtune.tokenizer;

/** Open-addressing map from long keys to non-negative ints; -1 means absent. */
final class LongIntMap {
    private long[] keys;
    private int[] values;
    private boolean[] used;
    private int mask;
    private int size;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
        used = new boolean[cap];
        mask = cap - 1;
    }

    private static int spread(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    int get(long key) {
        int slot = spread(key) & mask;
        while (used[slot]) {
            if (keys[slot] == key) return values[slot];
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    void put(long key, int value) {
        if ((size + 1) * 2 > keys.length) rehash();
        int slot = spread(key) & mask;
        while (used[slot]) {
            if (keys[slot] == key) { values[slot] = value; return; }
            slot = (slot + 1) & mask;
        }
        used[slot] = true;
        keys[slot] = key;
        values[slot] = value;
        size++;
    }

    private void rehash() {
        long[] k = keys;
        int[] v = values;
        boolean[] u = used;
        keys = new long[k.length * 2];
        values = new int[k.length * 2];
        used = new boolean[k.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < k.length; i++) if (u[i]) put(k[i], v[i]);
    }
}
