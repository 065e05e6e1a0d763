package dev.embedtune.tokenizer;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * BERT's normalizer, Hugging Face's {@code BertNormalizer}: in order, clean_text (drop NUL,
 * U+FFFD and control chars; every whitespace becomes a space), handle_chinese_chars (a space on
 * each side of every CJK ideograph), strip_accents (NFD, then drop Mn marks), lowercase.
 * {@code strip_accents} follows {@code lowercase} when it is null, as in the original BERT.
 *
 * <p>The four steps are fused into one pass per code point. That is exact: NFD is a per-code-point
 * decomposition followed by a reordering of combining marks, and the marks are dropped anyway.
 * The result for each BMP code point is computed once and kept in a table.
 */
record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase,
                      AtomicReferenceArray<String> table) implements Normalizer {

    /** Marks a table entry whose code point is dropped entirely. */
    private static final String DROP = "";

    BertNormalizer(boolean cleanText, boolean handleChineseChars, Boolean stripAccents, boolean lowercase) {
        this(cleanText, handleChineseChars, stripAccents == null ? lowercase : stripAccents, lowercase,
                new AtomicReferenceArray<>(0x10000));
    }

    static BertNormalizer fromJson(Json json) {
        return new BertNormalizer(json.bool("clean_text", true), json.bool("handle_chinese_chars", true),
                json.boolOrNull("strip_accents"), json.bool("lowercase", true));
    }

    @Override
    public Piece normalize(Piece in) {
        AlignedBuilder out = new AlignedBuilder(in.length() + 8);
        char[] chars = in.chars;
        for (int i = in.from; i < in.to; ) {
            char c = chars[i];
            int start = in.starts[i], end = in.ends[i];
            if (c < 0x80) {
                // ASCII fast path: controls other than \t\n\r are dropped, whitespace becomes ' '.
                if (cleanText) {
                    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
                    else if (c < 0x20 || c == 0x7F) { i++; continue; }
                }
                if (lowercase && c >= 'A' && c <= 'Z') c += 32;
                out.append(c, start, end);
                i++;
                continue;
            }
            int cp = Character.codePointAt(chars, i, in.to);
            i += Character.charCount(cp);
            if (handleChineseChars && Unicode.isChinese(cp)) {
                out.append(' ', start, end);
                out.appendCodePoint(cp, start, end);
                out.append(' ', start, end);
                continue;
            }
            String mapped = cp < 0x10000 ? cached(cp) : compute(cp);
            for (int k = 0; k < mapped.length(); k++) out.append(mapped.charAt(k), start, end);
        }
        return out.build();
    }

    @Override
    public String toString() {
        return "BertNormalizer[cleanText=" + cleanText + ", handleChineseChars=" + handleChineseChars
                + ", stripAccents=" + stripAccents + ", lowercase=" + lowercase + "]";
    }

    private String cached(int cp) {
        String s = table.get(cp);
        if (s == null) {
            s = compute(cp);
            table.set(cp, s);
        }
        return s;
    }

    /** clean_text, strip_accents and lowercase for one non-ASCII, non-CJK code point. */
    private String compute(int cp) {
        if (cleanText) {
            if (cp == 0xFFFD || Unicode.isBertControl(cp)) return DROP;
            if (Unicode.isWhitespace(cp)) return " ";
        }
        String s = new String(Character.toChars(cp));
        if (stripAccents) {
            String nfd = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder();
            nfd.codePoints().filter(d -> Character.getType(d) != Character.NON_SPACING_MARK).forEach(kept::appendCodePoint);
            s = kept.toString();
        }
        if (lowercase) {
            StringBuilder lower = new StringBuilder();
            s.codePoints().forEach(d -> lower.append(Unicode.lowercase(d)));
            s = lower.toString();
        }
        return s;
    }
}
