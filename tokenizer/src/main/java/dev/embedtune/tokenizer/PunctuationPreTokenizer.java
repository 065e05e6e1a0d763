package dev.embedtune.tokenizer;

import java.util.List;

/** Splits on every punctuation char ({@link Unicode#isBertPunctuation}) with the given behaviour. */
record PunctuationPreTokenizer(SplitBehavior behavior) implements PreTokenizer {
    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        IntList matches = new IntList();
        for (int i = in.from; i < in.to; ) {
            int cp = Character.codePointAt(in.chars, i, in.to);
            int n = Character.charCount(cp);
            if (Unicode.isBertPunctuation(cp)) { matches.add(i); matches.add(i + n); }
            i += n;
        }
        PreTokenizer.split(in, matches, behavior, false, out);
    }
}
