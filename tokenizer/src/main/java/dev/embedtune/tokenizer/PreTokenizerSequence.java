package dev.embedtune.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Pre-tokenizers applied one after the other, each to every piece the previous one produced. */
record PreTokenizerSequence(List<PreTokenizer> preTokenizers) implements PreTokenizer {
    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        List<Piece> current = new ArrayList<>();
        current.add(in);
        for (PreTokenizer p : preTokenizers) {
            List<Piece> next = new ArrayList<>();
            for (Piece piece : current) p.preTokenize(piece, next);
            current = next;
        }
        out.addAll(current);
    }
}
