package dev.embedtune.tokenizer;

import java.text.Normalizer.Form;

/**
 * NFC, NFD, NFKC or NFKD. The text is cut into runs that normalize independently (a base code
 * point and the combining marks or Hangul jamo after it). A run that normalizes code point by
 * code point keeps each code point's range (an expansion such as "…" to "..." shares it); a run
 * that composes maps every output char to its first input code point, as Hugging Face's
 * alignments do.
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
            } else if (!perCodePoint(in, runStart, runEnd, norm, out)) {
                out.append(norm, in.starts[runStart], in.ends[runStart]);
            }
            runStart = runEnd;
        }
        return out.build();
    }

    /**
     * When the run normalizes code point by code point (no composition, no reordering), each
     * output char keeps the range of the code point it came from; returns false otherwise.
     */
    private boolean perCodePoint(Piece in, int runStart, int runEnd, String norm, AlignedBuilder out) {
        StringBuilder joined = new StringBuilder();
        int[] bounds = new int[runEnd - runStart + 1];
        int[] sources = new int[runEnd - runStart];
        int count = 0;
        for (int i = runStart; i < runEnd; ) {
            int n = Character.charCount(Character.codePointAt(in.chars, i, runEnd));
            joined.append(java.text.Normalizer.normalize(new String(in.chars, i, n), form));
            sources[count] = i;
            bounds[++count] = joined.length();
            i += n;
        }
        if (!joined.toString().equals(norm)) return false;
        for (int k = 0; k < count; k++) {
            for (int j = bounds[k]; j < bounds[k + 1]; j++) out.append(norm.charAt(j), in.starts[sources[k]], in.ends[sources[k]]);
        }
        return true;
    }

    private static boolean continuesRun(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK
                || (cp >= 0x1160 && cp <= 0x11FF) || cp == 0x3099 || cp == 0x309A;
    }
}
