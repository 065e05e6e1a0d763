package dev.embedtune.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * WordPiece (BERT): greedy longest-match-first. From the start of the word, take the longest
 * prefix in the vocabulary; continue from its end with the longest piece that is in the
 * vocabulary with the {@code ##} prefix; if some position has no piece at all, the whole word
 * becomes {@code [UNK]}. Words longer than {@code max_input_chars_per_word} code points (100) are
 * {@code [UNK]} outright.
 *
 * <p>Lookups hash the candidate prefix incrementally ({@link CharSliceMap}), so each start
 * position costs one pass over the remaining word and no allocation.
 */
final class WordPiece implements TokenModel {
    private final Vocab vocab;
    private final CharSliceMap words;
    /** Tokens that start with the continuation prefix, keyed without it. */
    private final CharSliceMap continuations;
    private final int unkId;
    private final String prefix;
    private final int maxInputCharsPerWord;

    WordPiece(Vocab vocab, String unkToken, String prefix, int maxInputCharsPerWord, Json where) {
        this.vocab = vocab;
        this.prefix = prefix;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.unkId = vocab.id(unkToken);
        if (unkId < 0) {
            String msg = "unk_token \"" + unkToken + "\" is not in the vocabulary";
            throw where == null ? new TokenizerFormatException(msg) : where.error(where.path() + ".unk_token", msg);
        }
        this.words = new CharSliceMap(vocab.tokenToId());
        Map<String, Integer> cont = new HashMap<>();
        for (Map.Entry<String, Integer> e : vocab.tokenToId().entrySet()) {
            if (e.getKey().startsWith(prefix)) cont.put(e.getKey().substring(prefix.length()), e.getValue());
        }
        this.continuations = new CharSliceMap(cont);
    }

    static WordPiece fromJson(Json json) {
        Vocab vocab = Vocab.fromJson(json.field("vocab"));
        return new WordPiece(vocab, json.text("unk_token", "[UNK]"), json.text("continuing_subword_prefix", "##"),
                json.integer("max_input_chars_per_word", 100), json);
    }

    @Override
    public void tokenize(Piece word, TokenList out) {
        char[] c = word.chars;
        int from = word.from, to = word.to;
        if (Character.codePointCount(c, from, to - from) > maxInputCharsPerWord) {
            out.add(unkId, word.starts[from], word.ends[to - 1]);
            return;
        }
        int mark = out.size;
        int start = from;
        while (start < to) {
            CharSliceMap map = start == from ? words : continuations;
            // Hash every prefix of c[start, to) once, then try them longest first.
            int best = -1, bestEnd = -1;
            int h = 0;
            int[] hashes = hashBuffer(to - start);
            for (int e = start; e < to; e++) {
                h = CharSliceMap.extend(h, c[e]);
                hashes[e - start] = h;
            }
            for (int e = to; e > start; e--) {
                if (e < to && Character.isLowSurrogate(c[e]) && Character.isHighSurrogate(c[e - 1])) continue;
                int id = map.get(c, start, e - start, hashes[e - start - 1]);
                if (id >= 0) { best = id; bestEnd = e; break; }
            }
            if (best < 0) {
                out.size = mark;
                out.add(unkId, word.starts[from], word.ends[to - 1]);
                return;
            }
            out.add(best, word.starts[start], word.ends[bestEnd - 1]);
            start = bestEnd;
        }
    }

    private static final ThreadLocal<int[][]> HASHES = ThreadLocal.withInitial(() -> new int[][] {new int[256]});

    private static int[] hashBuffer(int n) {
        int[][] holder = HASHES.get();
        if (holder[0].length < n) holder[0] = new int[Math.max(n, holder[0].length * 2)];
        return holder[0];
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

    String prefix() {
        return prefix;
    }
}
