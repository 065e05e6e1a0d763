package dev.embedtune.tokenizer;

import java.text.Normalizer.Form;

/**
 * NFC, NFD, NFKC or NFKD. The text is cut into runs that normalize independently (a base code
 * point and the combining marks or Hangul jamo after it); a run whose length changes maps every
 * output char to its first input code point, as Hugging Face's alignments do for compositions and
 * expansions.
 */
record UnicodeNormalizer(Form form) implements Normalizer {
    @Override
    public Piece normalize(Piece in) {
        String s = in.toString();
        if (java.text.Normalizer.isNormalized(s, form)) return in;
        AlignedBuilder out = new AlignedBuilder(in.length() + 8);
        int runStart = in.from;
        while (runStart < in.to) {
            int runEnd = runStart + Character.charCount(Character.codePointAt(in.chars, runStart, in.to));
            while (runEnd < in.to) {
                int cp = Character.codePointAt(in.chars, runEnd, in.to);
                if (!continuesRun(cp)) break;
                runEnd += Character.charCount(cp);
            }
            String run = new String(in.chars, runStart, runEnd - runStart);
            String norm = java.text.Normalizer.normalize(run, form);
            if (norm.equals(run)) {
                for (int i = runStart; i < runEnd; i++) out.append(in.chars[i], in.starts[i], in.ends[i]);
            } else if (norm.length() == run.length()) {
                for (int i = 0; i < norm.length(); i++) {
                    out.append(norm.charAt(i), in.starts[runStart + i], in.ends[runStart + i]);
                }
            } else {
                out.append(norm, in.starts[runStart], in.ends[runStart]);
            }
            runStart = runEnd;
        }
        return out.build();
    }

    private static boolean continuesRun(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK
                || (cp >= 0x1160 && cp <= 0x11FF) || cp == 0x3099 || cp == 0x309A;
    }
}
