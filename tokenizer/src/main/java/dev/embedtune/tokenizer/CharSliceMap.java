package dev.embedtune.tokenizer;

import java.util.Arrays;
import java.util.Map;

/**
 * A read-only string-to-int map that is queried with a slice of a char array, so looking up
 * candidate sub-words allocates nothing. Open addressing; the hash is the polynomial
 * {@code h = 31 * h + c} (the same as {@link String#hashCode}), which lets callers extend a hash
 * one char at a time with {@link #extend}.
 */
final class CharSliceMap {
    private final char[][] keys;
    private final int[] values;
    private final int[] hashes;
    private final int mask;

    CharSliceMap(Map<String, Integer> entries) {
        int cap = Integer.highestOneBit(Math.max(4, entries.size() * 2 - 1)) << 1;
        keys = new char[cap][];
        values = new int[cap];
        hashes = new int[cap];
        mask = cap - 1;
        for (Map.Entry<String, Integer> e : entries.entrySet()) {
            char[] k = e.getKey().toCharArray();
            int h = e.getKey().hashCode();
            int slot = spread(h) & mask;
            while (keys[slot] != null) slot = (slot + 1) & mask;
            keys[slot] = k;
            values[slot] = e.getValue();
            hashes[slot] = h;
        }
    }

    static int extend(int hash, char c) {
        return 31 * hash + c;
    }

    private static int spread(int h) {
        return (h ^ (h >>> 16)) * 0x9E3779B1;
    }

    /** The value for {@code buf[off, off+len)} whose polynomial hash is {@code hash}, or -1. */
    int get(char[] buf, int off, int len, int hash) {
        int slot = spread(hash) & mask;
        char[] k;
        while ((k = keys[slot]) != null) {
            if (hashes[slot] == hash && k.length == len && Arrays.equals(k, 0, len, buf, off, off + len)) return values[slot];
            slot = (slot + 1) & mask;
        }
        return -1;
    }
}
