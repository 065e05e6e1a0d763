package dev.embedtune.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding: start from one symbol per char, then repeatedly merge the adjacent pair
 * whose merge rule has the lowest rank (the leftmost such pair on ties) until no pair has a rule.
 * A binary heap of candidate pairs keyed by (rank, position) makes this O(n log n), which matters
 * for 10,000-char words. Results for words up to {@link #CACHE_MAX_WORD} chars are cached, at most
 * {@link #CACHE_CAPACITY} of them (as in Hugging Face, the cache stops growing when full).
 *
 * <p>Supported options: {@code unk_token} with {@code fuse_unk}, {@code continuing_subword_prefix},
 * {@code end_of_word_suffix}, {@code ignore_merges}. {@code dropout} (random, for training) and
 * {@code byte_fallback} are rejected with an error.
 */
final class Bpe implements TokenModel {
    static final int CACHE_CAPACITY = 10_000;
    static final int CACHE_MAX_WORD = 256;

    private final Vocab vocab;
    private final CharSliceMap lookup;
    /** Merge rules: (leftId, rightId) packed in a long, to rank; and rank to merged id. */
    private final LongIntMap ranks;
    private final int[] mergedId;
    private final int unkId;
    private final boolean fuseUnk;
    private final String prefix;
    private final String suffix;
    private final boolean ignoreMerges;
    /** Id of each single-char token for BMP chars (no prefix/suffix), -1 when absent. */
    private final int[] charIds;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    Bpe(Vocab vocab, String[][] merges, String unkToken, boolean fuseUnk, String prefix, String suffix,
        boolean ignoreMerges, Json where) {
        this.vocab = vocab;
        this.lookup = new CharSliceMap(vocab.tokenToId());
        this.fuseUnk = fuseUnk;
        this.prefix = prefix == null ? "" : prefix;
        this.suffix = suffix == null ? "" : suffix;
        this.ignoreMerges = ignoreMerges;
        if (unkToken != null) {
            unkId = vocab.id(unkToken);
            if (unkId < 0) throw where.error(where.path() + ".unk_token", "\"" + unkToken + "\" is not in the vocabulary");
        } else {
            unkId = -1;
        }
        ranks = new LongIntMap(merges.length * 2);
        mergedId = new int[merges.length];
        for (int r = 0; r < merges.length; r++) {
            String a = merges[r][0], b = merges[r][1];
            int ia = vocab.id(a), ib = vocab.id(b);
            String merged = a + (b.startsWith(this.prefix) ? b.substring(this.prefix.length()) : b);
            int im = vocab.id(merged);
            String at = where.path() + ".merges[" + r + "]";
            if (ia < 0) throw where.error(at, "token \"" + a + "\" is not in the vocabulary");
            if (ib < 0) throw where.error(at, "token \"" + b + "\" is not in the vocabulary");
            if (im < 0) throw where.error(at, "merged token \"" + merged + "\" is not in the vocabulary");
            long key = pair(ia, ib);
            if (ranks.get(key) < 0) ranks.put(key, r); // the first (lowest) rank wins, as in Hugging Face
            mergedId[r] = im;
        }
        charIds = new int[0x10000];
        Arrays.fill(charIds, -1);
        for (Map.Entry<String, Integer> e : vocab.tokenToId().entrySet()) {
            String k = e.getKey();
            if (k.length() == 1) charIds[k.charAt(0)] = e.getValue();
        }
    }

    static Bpe fromJson(Json json) {
        Json dropout = json.optional("dropout");
        if (dropout != null && !(dropout.node().isNumber() && dropout.node().doubleValue() == 0.0)) {
            throw dropout.error("BPE dropout is random (meant for training) and is not supported; expected null");
        }
        if (json.bool("byte_fallback", false)) {
            throw json.error(json.path() + ".byte_fallback", "byte_fallback=true is not supported");
        }
        Vocab vocab = Vocab.fromJson(json.field("vocab"));
        Json m = json.field("merges").expectArray();
        String[][] merges = new String[m.size()][];
        for (int i = 0; i < m.size(); i++) {
            Json e = m.element(i);
            if (e.node().isTextual()) {
                String s = e.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) throw e.error("expected \"left right\" (two tokens and one space), found \"" + s + "\"");
                merges[i] = new String[] {s.substring(0, sp), s.substring(sp + 1)};
            } else if (e.node().isArray() && e.size() == 2 && e.node().get(0).isTextual() && e.node().get(1).isTextual()) {
                merges[i] = new String[] {e.node().get(0).textValue(), e.node().get(1).textValue()};
            } else {
                throw e.error("expected \"left right\" or [\"left\", \"right\"], found " + e.node());
            }
        }
        return new Bpe(vocab, merges, json.text("unk_token", null), json.bool("fuse_unk", false),
                json.text("continuing_subword_prefix", null), json.text("end_of_word_suffix", null),
                json.bool("ignore_merges", false), json);
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    @Override
    public void tokenize(Piece word, TokenList out) {
        int n = word.length();
        if (n == 0) return;
        String key = null;
        if (n <= CACHE_MAX_WORD) {
            key = new String(word.chars, word.from, n);
            int[] hit = cache.get(key);
            if (hit != null) {
                emit(hit, word, out);
                return;
            }
        }
        int[] result = merge(word);
        if (key != null && cache.size() < CACHE_CAPACITY) cache.put(key, result);
        emit(result, word, out);
    }

    /** {@code result} holds (id, start, end) triples with char indices relative to the word. */
    private static void emit(int[] result, Piece word, TokenList out) {
        for (int k = 0; k < result.length; k += 3) {
            out.add(result[k], word.starts[word.from + result[k + 1]], word.ends[word.from + result[k + 2] - 1]);
        }
    }

    private int[] merge(Piece word) {
        char[] c = word.chars;
        int from = word.from, n = word.length();
        if (ignoreMerges) {
            int id = lookup.get(c, from, n, new String(c, from, n).hashCode());
            if (id >= 0) return new int[] {id, 0, n};
        }
        // Initial symbols: one per code point; unknown chars become [UNK] (fused if asked) or vanish.
        int[] ids = new int[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        int count = 0;
        int unkStart = -1, unkEnd = -1;
        boolean plain = prefix.isEmpty() && suffix.isEmpty();
        for (int i = 0; i < n; ) {
            int cp = Character.codePointAt(c, from + i, from + n);
            int len = Character.charCount(cp);
            int id;
            if (plain && len == 1) {
                id = charIds[c[from + i]];
            } else {
                String s = new String(c, from + i, len);
                if (i > 0) s = prefix + s;
                if (i + len == n) s = s + suffix;
                id = vocab.id(s);
            }
            if (id >= 0) {
                if (unkStart >= 0) { ids[count] = unkId; starts[count] = unkStart; ends[count] = unkEnd; count++; unkStart = -1; }
                ids[count] = id; starts[count] = i; ends[count] = i + len; count++;
            } else if (unkId >= 0) {
                if (unkStart >= 0 && fuseUnk) {
                    unkEnd = i + len;
                } else {
                    if (unkStart >= 0) { ids[count] = unkId; starts[count] = unkStart; ends[count] = unkEnd; count++; }
                    unkStart = i;
                    unkEnd = i + len;
                }
            }
            i += len;
        }
        if (unkStart >= 0) { ids[count] = unkId; starts[count] = unkStart; ends[count] = unkEnd; count++; }

        // Doubly linked symbols; a heap of candidate merges ordered by (rank, left position).
        int[] next = new int[count];
        int[] prev = new int[count];
        for (int i = 0; i < count; i++) { next[i] = i + 1 < count ? i + 1 : -1; prev[i] = i - 1; }
        LongHeap heap = new LongHeap(Math.max(4, count));
        for (int i = 0; i + 1 < count; i++) {
            int r = ranks.get(pair(ids[i], ids[i + 1]));
            if (r >= 0) heap.push(((long) r << 32) | i);
        }
        int alive = count;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int r = (int) (top >>> 32);
            int i = (int) top;
            int j = next[i];
            if (ids[i] < 0 || j < 0 || ranks.get(pair(ids[i], ids[j])) != r) continue; // stale entry
            ids[i] = mergedId[r];
            ends[i] = ends[j];
            ids[j] = -1;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            alive--;
            if (prev[i] >= 0) {
                int rp = ranks.get(pair(ids[prev[i]], ids[i]));
                if (rp >= 0) heap.push(((long) rp << 32) | prev[i]);
            }
            if (next[i] >= 0) {
                int rn = ranks.get(pair(ids[i], ids[next[i]]));
                if (rn >= 0) heap.push(((long) rn << 32) | i);
            }
        }
        int[] result = new int[alive * 3];
        int k = 0;
        for (int i = count > 0 ? 0 : -1; i >= 0; i = next[i]) {
            result[k++] = ids[i];
            result[k++] = starts[i];
            result[k++] = ends[i];
        }
        return result;
    }

    @Override
    public int tokenToId(String token) {
        return vocab.id(token);
    }

    @Override
    public String idToToken(int id) {
        return vocab.token(id);
    }

    @Override
    public int vocabSize() {
        return vocab.idToToken().length;
    }
}
