package dev.embedtune.tokenizer;

/** Per-code-point lower case (Rust {@code char::to_lowercase}, no final-sigma context). */
record LowercaseNormalizer() implements Normalizer {
    @Override
    public Piece normalize(Piece in) {
        AlignedBuilder out = new AlignedBuilder(in.length());
        for (int i = in.from; i < in.to; ) {
            int cp = Character.codePointAt(in.chars, i, in.to);
            int n = Character.charCount(cp);
            if (cp < 0x80) {
                out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp), in.starts[i], in.ends[i]);
            } else {
                out.append(Unicode.lowercase(cp), in.starts[i], in.ends[i]);
            }
            i += n;
        }
        return out.build();
    }
}
