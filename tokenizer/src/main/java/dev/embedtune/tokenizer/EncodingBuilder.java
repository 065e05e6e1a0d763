package dev.embedtune.tokenizer;

import java.util.Arrays;
import java.util.function.IntFunction;

/** Assembles an {@link Encoding}: sequences and special tokens, in order. */
final class EncodingBuilder {
    private int[] ids, typeIds, special, starts, ends, seq;
    private int size;

    EncodingBuilder(int capacity) {
        int c = Math.max(8, capacity);
        ids = new int[c];
        typeIds = new int[c];
        special = new int[c];
        starts = new int[c];
        ends = new int[c];
        seq = new int[c];
    }

    private void ensure(int n) {
        if (size + n <= ids.length) return;
        int c = Math.max(size + n, ids.length * 2);
        ids = Arrays.copyOf(ids, c);
        typeIds = Arrays.copyOf(typeIds, c);
        special = Arrays.copyOf(special, c);
        starts = Arrays.copyOf(starts, c);
        ends = Arrays.copyOf(ends, c);
        seq = Arrays.copyOf(seq, c);
    }

    void addSpecial(int id, int typeId) {
        ensure(1);
        ids[size] = id;
        typeIds[size] = typeId;
        special[size] = 1;
        seq[size] = -1;
        size++;
    }

    void addSequence(TokenList t, int typeId, int sequenceId) {
        ensure(t.size);
        System.arraycopy(t.ids, 0, ids, size, t.size);
        System.arraycopy(t.starts, 0, starts, size, t.size);
        System.arraycopy(t.ends, 0, ends, size, t.size);
        Arrays.fill(typeIds, size, size + t.size, typeId);
        Arrays.fill(seq, size, size + t.size, sequenceId);
        size += t.size;
    }

    int size() {
        return size;
    }

    /** Builds the encoding, padded on the right to {@code padTo} tokens when that is longer. */
    Encoding build(int padTo, int padId, int padTypeId, IntFunction<String> idToToken) {
        int n = Math.max(size, padTo);
        int[] mask = new int[n];
        Arrays.fill(mask, 0, size, 1);
        int[] i = Arrays.copyOf(ids, n), ty = Arrays.copyOf(typeIds, n), sp = Arrays.copyOf(special, n),
                st = Arrays.copyOf(starts, n), en = Arrays.copyOf(ends, n), sq = Arrays.copyOf(seq, n);
        if (n > size) {
            Arrays.fill(i, size, n, padId);
            Arrays.fill(ty, size, n, padTypeId);
            Arrays.fill(sp, size, n, 1);
            Arrays.fill(sq, size, n, -1);
        }
        String[] tokens = new String[n];
        for (int k = 0; k < n; k++) tokens[k] = idToToken.apply(i[k]);
        return new Encoding(i, ty, mask, sp, st, en, sq, tokens);
    }
}
