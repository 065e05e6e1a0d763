package dev.embedtune.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Second pipeline stage: cuts the normalized text into words, each of which the model tokenizes
 * on its own. Implementations append the non-empty words of {@code in} to {@code out}.
 */
sealed interface PreTokenizer permits BertPreTokenizer, WhitespacePreTokenizer, WhitespaceSplitPreTokenizer,
        ByteLevelPreTokenizer, SplitPreTokenizer, PunctuationPreTokenizer, DigitsPreTokenizer,
        PreTokenizerSequence {

    void preTokenize(Piece in, List<Piece> out);

    List<String> TYPES = List.of("BertPreTokenizer", "Whitespace", "WhitespaceSplit", "ByteLevel", "Split",
            "Punctuation", "Digits", "Sequence");

    static PreTokenizer fromJson(Json json) {
        json.expectObject();
        String type = json.type();
        return switch (type) {
            case "BertPreTokenizer" -> new BertPreTokenizer();
            case "Whitespace" -> new WhitespacePreTokenizer();
            case "WhitespaceSplit" -> new WhitespaceSplitPreTokenizer();
            case "ByteLevel" -> ByteLevelPreTokenizer.fromJson(json);
            case "Split" -> SplitPreTokenizer.fromJson(json);
            case "Punctuation" -> new PunctuationPreTokenizer(SplitBehavior.fromJson(json, "behavior", SplitBehavior.ISOLATED));
            case "Digits" -> new DigitsPreTokenizer(json.bool("individual_digits", false));
            case "Sequence" -> {
                Json list = json.field("pretokenizers").expectArray();
                List<PreTokenizer> parts = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    PreTokenizer p = fromJson(list.element(i));
                    if (!parts.isEmpty() && parts.get(parts.size() - 1) instanceof ByteLevelPreTokenizer) {
                        // Our ByteLevel encodes bytes as chars at the end of its step; a splitter
                        // after it would see the encoded text. No known tokenizer does this.
                        throw list.element(i).error("a pre-tokenizer after ByteLevel in a Sequence is not supported");
                    }
                    parts.add(p);
                }
                yield new PreTokenizerSequence(List.copyOf(parts));
            }
            default -> throw json.unknownType(type, TYPES);
        };
    }

    /**
     * Applies Hugging Face's split behaviour to {@code matches}, a list of {@code [start, end)}
     * ranges (absolute indices into {@code in.chars}) that the pattern matched, and appends the
     * resulting non-empty pieces.
     */
    static void split(Piece in, IntList matches, SplitBehavior behavior, boolean invert, List<Piece> out) {
        // All pieces in order, with whether each was a match (gaps between matches are non-matches).
        IntList ranges = new IntList(matches.size() * 2 + 4);
        BoolList isMatch = new BoolList();
        int prev = in.from;
        for (int k = 0; k < matches.size(); k += 2) {
            int s = matches.get(k), e = matches.get(k + 1);
            if (prev != s) { ranges.add(prev); ranges.add(s); isMatch.add(invert); }
            ranges.add(s); ranges.add(e); isMatch.add(!invert);
            prev = e;
        }
        if (prev != in.to) { ranges.add(prev); ranges.add(in.to); isMatch.add(invert); }
        int n = isMatch.size();
        switch (behavior) {
            case REMOVED -> {
                for (int i = 0; i < n; i++) if (!isMatch.get(i)) emit(in, ranges.get(2 * i), ranges.get(2 * i + 1), out);
            }
            case ISOLATED -> {
                for (int i = 0; i < n; i++) emit(in, ranges.get(2 * i), ranges.get(2 * i + 1), out);
            }
            case MERGED_WITH_PREVIOUS, CONTIGUOUS -> {
                IntList merged = new IntList(n * 2);
                boolean previousMatch = false;
                for (int i = 0; i < n; i++) {
                    boolean m = isMatch.get(i);
                    boolean join = behavior == SplitBehavior.CONTIGUOUS ? m == previousMatch : m && !previousMatch;
                    if (join && merged.size() > 0) merged.set(merged.size() - 1, ranges.get(2 * i + 1));
                    else { merged.add(ranges.get(2 * i)); merged.add(ranges.get(2 * i + 1)); }
                    previousMatch = m;
                }
                for (int k = 0; k < merged.size(); k += 2) emit(in, merged.get(k), merged.get(k + 1), out);
            }
            case MERGED_WITH_NEXT -> {
                IntList merged = new IntList(n * 2); // built back to front
                boolean previousMatch = false;
                for (int i = n - 1; i >= 0; i--) {
                    boolean m = isMatch.get(i);
                    if (m && !previousMatch && merged.size() > 0) merged.set(merged.size() - 2, ranges.get(2 * i));
                    else { merged.add(ranges.get(2 * i)); merged.add(ranges.get(2 * i + 1)); }
                    previousMatch = m;
                }
                for (int k = merged.size() - 2; k >= 0; k -= 2) emit(in, merged.get(k), merged.get(k + 1), out);
            }
        }
    }

    private static void emit(Piece in, int s, int e, List<Piece> out) {
        if (e > s) out.add(in.slice(s, e));
    }
}
