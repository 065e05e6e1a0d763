package dev.embedtune.tokenizer;

/**
 * Removes combining marks (categories Mn, Mc and Me; Hugging Face's {@code is_combining_mark},
 * so Devanagari vowel signs go too, unlike BertNormalizer's accent stripping, which removes Mn
 * only). Like Hugging Face's {@code StripAccents} it does not decompose first: it is meant to
 * follow an NFD/NFKD normalizer in a Sequence.
 */
record StripAccentsNormalizer() implements Normalizer {
    @Override
    public Piece normalize(Piece in) {
        AlignedBuilder out = new AlignedBuilder(in.length());
        for (int i = in.from; i < in.to; ) {
            int cp = Character.codePointAt(in.chars, i, in.to);
            int n = Character.charCount(cp);
            int type = Character.getType(cp);
            boolean mark = type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                    || type == Character.ENCLOSING_MARK;
            if (!mark) out.appendCodePoint(cp, in.starts[i], in.ends[i]);
            i += n;
        }
        return out.build();
    }
}
