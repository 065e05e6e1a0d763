package dev.embedtune.tokenizer;

import java.util.List;

/** Normalizers applied one after the other. */
record NormalizerSequence(List<Normalizer> normalizers) implements Normalizer {
    @Override
    public Piece normalize(Piece in) {
        Piece p = in;
        for (Normalizer n : normalizers) p = n.normalize(p);
        return p;
    }
}
