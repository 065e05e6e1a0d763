package dev.embedtune.tokenizer;

import java.util.List;

/** Splits on Unicode whitespace, which is dropped. */
record WhitespaceSplitPreTokenizer() implements PreTokenizer {
    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        int wordStart = -1;
        for (int i = in.from; i < in.to; ) {
            int cp = Character.codePointAt(in.chars, i, in.to);
            int n = Character.charCount(cp);
            if (Unicode.isWhitespace(cp)) {
                if (wordStart >= 0) { out.add(in.slice(wordStart, i)); wordStart = -1; }
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i += n;
        }
        if (wordStart >= 0) out.add(in.slice(wordStart, in.to));
    }
}
