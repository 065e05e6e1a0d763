package dev.embedtune.tokenizer;

import java.util.List;

/**
 * Hugging Face's {@code Whitespace}: the regex {@code \w+|[^\w\s]+} (Rust regex, Unicode
 * {@code \w}: alphabetic, marks, decimal digits, connector punctuation, joiners); whitespace is
 * dropped.
 */
record WhitespacePreTokenizer() implements PreTokenizer {
    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        int runStart = -1;
        int runKind = 0; // 1 = word chars, 2 = other non-space chars
        for (int i = in.from; i < in.to; ) {
            int cp = Character.codePointAt(in.chars, i, in.to);
            int n = Character.charCount(cp);
            int kind = Unicode.isWhitespace(cp) ? 0 : isWordChar(cp) ? 1 : 2;
            if (kind != runKind) {
                if (runKind != 0) out.add(in.slice(runStart, i));
                runStart = i;
                runKind = kind;
            }
            i += n;
        }
        if (runKind != 0) out.add(in.slice(runStart, in.to));
    }

    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp)) return true;
        return switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK,
                    Character.DECIMAL_DIGIT_NUMBER, Character.CONNECTOR_PUNCTUATION -> true;
            default -> cp == 0x200C || cp == 0x200D;
        };
    }
}
