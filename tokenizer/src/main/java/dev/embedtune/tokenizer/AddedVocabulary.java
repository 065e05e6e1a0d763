package dev.embedtune.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in a text, leftmost-longest (Hugging Face uses Aho-Corasick with the same
 * match kind). Two matchers: raw-text tokens ({@code normalized=false}) run on the input before
 * the normalizer; normalized tokens run on each normalized segment, with their content normalized
 * the same way.
 */
final class AddedVocabulary {
    private final List<AddedToken> tokens;
    private final Matcher raw;
    private final Matcher normalized;
    private final Map<Integer, AddedToken> byId = new HashMap<>();
    private final Map<String, AddedToken> byContent = new HashMap<>();

    AddedVocabulary(List<AddedToken> tokens, Normalizer normalizer) {
        this.tokens = List.copyOf(tokens);
        List<AddedToken> rawTokens = new ArrayList<>();
        List<AddedToken> normTokens = new ArrayList<>();
        List<String> normPatterns = new ArrayList<>();
        for (AddedToken t : tokens) {
            byId.put(t.id(), t);
            byContent.put(t.content(), t);
            if (t.normalized() && normalizer != null) {
                normTokens.add(t);
                normPatterns.add(normalizer.normalize(Unicode.identity(t.content(), 0, t.content().length())).toString());
            } else {
                rawTokens.add(t);
            }
        }
        List<String> rawPatterns = rawTokens.stream().map(AddedToken::content).toList();
        raw = new Matcher(rawTokens, rawPatterns);
        normalized = new Matcher(normTokens, normPatterns);
    }

    List<AddedToken> tokens() {
        return tokens;
    }

    AddedToken byId(int id) {
        return byId.get(id);
    }

    AddedToken byContent(String content) {
        return byContent.get(content);
    }

    boolean hasNormalizedTokens() {
        return !normalized.isEmpty();
    }

    /** Matches of raw-text tokens in {@code text}: (tokenIndexInRaw, start, end) triples. */
    void findRaw(char[] text, int from, int to, IntList out) {
        raw.find(text, from, to, out);
    }

    void findNormalized(char[] text, int from, int to, IntList out) {
        normalized.find(text, from, to, out);
    }

    AddedToken rawToken(int k) {
        return raw.tokens.get(k);
    }

    AddedToken normalizedToken(int k) {
        return normalized.tokens.get(k);
    }

    /** Leftmost-longest matching of a few patterns, indexed by their first char. */
    private static final class Matcher {
        final List<AddedToken> tokens;
        final char[][] patterns;
        /** Pattern indices by first char, longest first. */
        final Map<Character, int[]> byFirst = new HashMap<>();
        final boolean[] firstAscii = new boolean[128];

        Matcher(List<AddedToken> tokens, List<String> patterns) {
            this.tokens = tokens;
            this.patterns = new char[patterns.size()][];
            Map<Character, List<Integer>> groups = new HashMap<>();
            for (int i = 0; i < patterns.size(); i++) {
                this.patterns[i] = patterns.get(i).toCharArray();
                if (this.patterns[i].length == 0) continue; // a token that normalizes to nothing never matches
                char f = this.patterns[i][0];
                groups.computeIfAbsent(f, k -> new ArrayList<>()).add(i);
                if (f < 128) firstAscii[f] = true;
            }
            groups.forEach((f, list) -> byFirst.put(f, list.stream()
                    .sorted(Comparator.comparingInt((Integer i) -> -this.patterns[i].length))
                    .mapToInt(Integer::intValue).toArray()));
        }

        boolean isEmpty() {
            return byFirst.isEmpty();
        }

        void find(char[] text, int from, int to, IntList out) {
            if (byFirst.isEmpty()) return;
            int i = from;
            int lastEnd = from;
            while (i < to) {
                char c = text[i];
                int[] candidates = c < 128 ? (firstAscii[c] ? byFirst.get(c) : null) : byFirst.get(c);
                int matched = -1;
                if (candidates != null) {
                    for (int k : candidates) {
                        char[] p = patterns[k];
                        if (i + p.length <= to && Arrays.equals(p, 0, p.length, text, i, i + p.length)) {
                            matched = k;
                            break;
                        }
                    }
                }
                if (matched < 0) { i++; continue; }
                AddedToken t = tokens.get(matched);
                int start = i, end = i + patterns[matched].length;
                if (t.singleWord()) {
                    boolean startOk = start == from || !isWordChar(text, start - 1);
                    boolean endOk = end == to || !isWordChar(text, end);
                    if (!startOk || !endOk) { i++; continue; }
                }
                if (t.lstrip()) {
                    int s = start;
                    while (s > lastEnd && Unicode.isWhitespace(text[s - 1])) s--;
                    start = s;
                }
                if (t.rstrip()) {
                    while (end < to && Unicode.isWhitespace(text[end])) end++;
                }
                out.add(matched);
                out.add(start);
                out.add(end);
                lastEnd = end;
                i = end;
            }
        }

        private static boolean isWordChar(char[] text, int i) {
            return Character.isLetterOrDigit(text[i]);
        }
    }
}
