package dev.embedtune.tokenizer;

/**
 * Character classes exactly as the Rust tokenizers crate defines them. Java's own predicates
 * differ: {@link Character#isWhitespace} excludes U+00A0 and includes U+001C..U+001F, while Rust's
 * {@code char::is_whitespace} is the Unicode White_Space property used here.
 */
final class Unicode {
    private Unicode() {}

    /** Unicode White_Space (Rust {@code char::is_whitespace}, Oniguruma {@code \s}). */
    static boolean isWhitespace(int c) {
        if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /**
     * BERT's "control": Unicode categories Cc, Cf, Co, Cs, except tab, newline and carriage
     * return, which BERT treats as whitespace. Hugging Face's comment says Cn too, but its
     * {@code is_other} does not match unassigned code points (U+0378 is kept; checked against
     * the Rust library in AdversarialGoldenTest).
     */
    static boolean isBertControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE,
                    Character.SURROGATE -> true;
            default -> false;
        };
    }

    /** BERT's punctuation: any ASCII punctuation (including $+<=>^`|~) or Unicode category P*. */
    static boolean isBertPunctuation(int c) {
        if (c < 0x80) {
            return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
        }
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** The CJK Unified Ideograph blocks BERT pads with spaces. */
    static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    /** {@code \p{L}}: Lu, Ll, Lt, Lm, Lo. */
    static boolean isLetter(int c) {
        if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER -> true;
            default -> false;
        };
    }

    /** {@code \p{N}}: Nd, Nl, No. */
    static boolean isNumber(int c) {
        if (c < 0x80) return c >= '0' && c <= '9';
        return switch (Character.getType(c)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
            default -> false;
        };
    }

    /**
     * Rust's {@code char::to_lowercase}: the simple mapping plus the one unconditional special
     * case, U+0130 (İ) to "i̇" (two code points). No final-sigma context, unlike
     * {@link String#toLowerCase}.
     */
    static String lowercase(int c) {
        if (c == 0x130) return "i\u0307";
        return new String(Character.toChars(Character.toLowerCase(c)));
    }

    /**
     * The input as the Rust library sees it: a Java string may hold lone surrogates, which cannot
     * cross into Rust; they arrive as U+FFFD. Same length, so offsets are unchanged.
     */
    static Piece identity(String text, int from, int to) {
        int n = to - from;
        char[] chars = new char[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        for (int i = 0; i < n; i++) {
            char c = text.charAt(from + i);
            int at = from + i;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(at + 1))) {
                chars[i] = c;
                chars[i + 1] = text.charAt(at + 1);
                starts[i] = starts[i + 1] = at;
                ends[i] = ends[i + 1] = at + 2;
                i++;
                continue;
            }
            chars[i] = Character.isSurrogate(c) ? '\uFFFD' : c;
            starts[i] = at;
            ends[i] = at + 1;
        }
        return new Piece(chars, starts, ends, 0, n);
    }
}
