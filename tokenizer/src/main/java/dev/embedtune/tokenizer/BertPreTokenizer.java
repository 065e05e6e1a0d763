package dev.embedtune.tokenizer;

import java.util.List;

/**
 * BERT's pre-tokenizer: splits on whitespace (dropped) and isolates every punctuation char
 * ({@link Unicode#isBertPunctuation}) as its own word. "Hello, world!" gives Hello | , | world | !
 */
record BertPreTokenizer() implements PreTokenizer {
    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        char[] c = in.chars;
        int wordStart = -1;
        for (int i = in.from; i < in.to; ) {
            char ch = c[i];
            int cp;
            int n;
            if (ch < 0x80) { cp = ch; n = 1; } else { cp = Character.codePointAt(c, i, in.to); n = Character.charCount(cp); }
            if (Unicode.isWhitespace(cp)) {
                if (wordStart >= 0) { out.add(in.slice(wordStart, i)); wordStart = -1; }
            } else if (Unicode.isBertPunctuation(cp)) {
                if (wordStart >= 0) { out.add(in.slice(wordStart, i)); wordStart = -1; }
                out.add(in.slice(i, i + n));
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i += n;
        }
        if (wordStart >= 0) out.add(in.slice(wordStart, in.to));
    }
}
