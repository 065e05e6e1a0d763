package dev.embedtune.tokenizer;

import ai.djl.huggingface.tokenizers.jni.CharSpan;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.fail;

/** Exact comparison of one of our encodings with DJL's (no tolerance: ids are integers). */
final class Compare {
    private Compare() {}

    static void same(String what, ai.djl.huggingface.tokenizers.Encoding djl, Encoding ours, boolean offsets) {
        same(what, djl, ours, offsets ? "" : null);
    }

    /**
     * With {@code text} non-null, offsets are compared too: DJL's spans count code points, ours
     * UTF-16 chars, so DJL's are converted through {@code text} (an empty string: no conversion).
     */
    static void same(String what, ai.djl.huggingface.tokenizers.Encoding djl, Encoding ours, String text) {
        same(what, djl, ours, text, text);
    }

    /** As above for a pair: each token's offsets are converted through the text it came from. */
    static void same(String what, ai.djl.huggingface.tokenizers.Encoding djl, Encoding ours, String text, String second) {
        boolean offsets = text != null;
        check(what, "input_ids", djl.getIds(), ours.ids(), ours);
        check(what, "attention_mask", djl.getAttentionMask(), ours.attentionMask(), ours);
        check(what, "token_type_ids", djl.getTypeIds(), ours.typeIds(), ours);
        if (offsets) {
            CharSpan[] spans = djl.getCharTokenSpans();
            long[] starts = new long[spans.length], ends = new long[spans.length];
            for (int i = 0; i < spans.length; i++) {
                // DJL reports no span (null) for special tokens; ours are (0, 0).
                String source = i < ours.length() && ours.sequenceIds()[i] == 1 ? second : text;
                starts[i] = spans[i] == null ? 0 : utf16(source, spans[i].getStart());
                ends[i] = spans[i] == null ? 0 : utf16(source, spans[i].getEnd());
            }
            check(what, "offset starts", starts, ours.starts(), ours);
            check(what, "offset ends", ends, ours.ends(), ours);
        }
    }

    private static int utf16(String text, int codePoints) {
        return text.isEmpty() ? codePoints : text.offsetByCodePoints(0, codePoints);
    }

    private static void check(String what, String field, long[] expected, int[] actual, Encoding ours) {
        long[] a = Reference.toLong(actual);
        if (Arrays.equals(expected, a)) return;
        int i = Arrays.mismatch(expected, a);
        fail(what + ": " + field + " differ at token " + i + " (DJL length " + expected.length + ", ours " + a.length
                + ")\n DJL : " + snippet(expected, i) + "\n ours: " + snippet(a, i) + "\n our tokens: "
                + Arrays.toString(Arrays.copyOfRange(ours.tokens(), Math.max(0, i - 3), Math.min(ours.length(), i + 5))));
    }

    private static String snippet(long[] v, int at) {
        int s = Math.max(0, at - 3), e = Math.min(v.length, at + 6);
        return "..." + Arrays.toString(Arrays.copyOfRange(v, s, e)) + "...";
    }

    static String shorten(String text) {
        String t = text.length() > 120 ? text.substring(0, 117) + "..." : text;
        return '"' + t.replace("\n", "\\n") + '"';
    }
}
