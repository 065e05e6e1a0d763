package dev.embedtune.tokenizer;

/**
 * Removes non-spacing marks (category Mn). Like Hugging Face's {@code StripAccents} it does not
 * decompose first: it is meant to follow an NFD/NFKD normalizer in a Sequence.
 */
record StripAccentsNormalizer() implements Normalizer {
    @Override
    public Piece normalize(Piece in) {
        AlignedBuilder out = new AlignedBuilder(in.length());
        for (int i = in.from; i < in.to; ) {
            int cp = Character.codePointAt(in.chars, i, in.to);
            int n = Character.charCount(cp);
            if (Character.getType(cp) != Character.NON_SPACING_MARK) out.appendCodePoint(cp, in.starts[i], in.ends[i]);
            i += n;
        }
        return out.build();
    }
}
