package dev.embedtune.tokenizer;

import java.util.List;

/**
 * Splits digits (Unicode Nd/Nl/No, Rust {@code char::is_numeric}) from the rest: each digit on
 * its own when {@code individualDigits}, else runs of digits.
 */
record DigitsPreTokenizer(boolean individualDigits) implements PreTokenizer {
    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        IntList matches = new IntList();
        for (int i = in.from; i < in.to; ) {
            int cp = Character.codePointAt(in.chars, i, in.to);
            int n = Character.charCount(cp);
            if (Unicode.isNumber(cp)) { matches.add(i); matches.add(i + n); }
            i += n;
        }
        PreTokenizer.split(in, matches, individualDigits ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS, false, out);
    }
}
