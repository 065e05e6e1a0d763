package dev.embedtune.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * GPT-2's byte-level pre-tokenizer: optionally a space in front of each piece that does not start
 * with one ({@code add_prefix_space}), the GPT-2 split pattern ({@code use_regex}), and then every
 * UTF-8 byte of the text replaced by one printable char ({@link ByteLevel#BYTE_TO_CHAR}), so that
 * a space becomes "Ġ".
 *
 * <p>The pattern {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}
 * is matched by a hand-written scanner ({@link #gpt2Split}), which is several times faster than a
 * regex and has no backtracking on long inputs.
 */
record ByteLevelPreTokenizer(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) implements PreTokenizer {

    static ByteLevelPreTokenizer fromJson(Json json) {
        return new ByteLevelPreTokenizer(json.bool("add_prefix_space", true), json.bool("trim_offsets", true),
                json.bool("use_regex", true));
    }

    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        Piece p = in;
        if (p.isEmpty()) return;
        if (addPrefixSpace && p.chars[p.from] != ' ') p = prependSpace(p);
        if (!useRegex) {
            out.add(toBytes(p));
            return;
        }
        IntList bounds = new IntList();
        gpt2Split(p.chars, p.from, p.to, bounds);
        for (int k = 0; k < bounds.size(); k += 2) out.add(toBytes(p.slice(bounds.get(k), bounds.get(k + 1))));
    }

    /** The prepended space shares the first char's original range, like Hugging Face's {@code prepend}. */
    private static Piece prependSpace(Piece p) {
        int n = p.length();
        char[] c = new char[n + 1];
        int[] s = new int[n + 1];
        int[] e = new int[n + 1];
        c[0] = ' ';
        s[0] = p.starts[p.from];
        e[0] = p.ends[p.from];
        System.arraycopy(p.chars, p.from, c, 1, n);
        System.arraycopy(p.starts, p.from, s, 1, n);
        System.arraycopy(p.ends, p.from, e, 1, n);
        return new Piece(c, s, e, 0, n + 1);
    }

    /** Each UTF-8 byte of each code point becomes one char, aligned to that code point's range. */
    static Piece toBytes(Piece p) {
        AlignedBuilder out = new AlignedBuilder(p.length() * 2);
        byte[] buf = new byte[4];
        for (int i = p.from; i < p.to; ) {
            char ch = p.chars[i];
            if (ch < 0x80) {
                out.append(ByteLevel.BYTE_TO_CHAR[ch], p.starts[i], p.ends[i]);
                i++;
                continue;
            }
            int cp = Character.codePointAt(p.chars, i, p.to);
            int n = Character.charCount(cp);
            int len = utf8(cp, buf);
            for (int b = 0; b < len; b++) out.append(ByteLevel.BYTE_TO_CHAR[buf[b] & 0xFF], p.starts[i], p.ends[i]);
            i += n;
        }
        return out.build();
    }

    private static int utf8(int cp, byte[] buf) {
        if (cp < 0x800) {
            buf[0] = (byte) (0xC0 | (cp >> 6));
            buf[1] = (byte) (0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            if (Character.isSurrogate((char) cp)) {
                byte[] r = "\uFFFD".getBytes(StandardCharsets.UTF_8);
                System.arraycopy(r, 0, buf, 0, 3);
                return 3;
            }
            buf[0] = (byte) (0xE0 | (cp >> 12));
            buf[1] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            buf[2] = (byte) (0x80 | (cp & 0x3F));
            return 3;
        }
        buf[0] = (byte) (0xF0 | (cp >> 18));
        buf[1] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        buf[2] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[3] = (byte) (0x80 | (cp & 0x3F));
        return 4;
    }

    /**
     * Appends the {@code [start, end)} of every match of the GPT-2 pattern in {@code c[from, to)}.
     * The alternatives are tried in the pattern's order at each position; the pattern matches
     * every char, so the matches tile the input.
     */
    static void gpt2Split(char[] c, int from, int to, IntList out) {
        int i = from;
        while (i < to) {
            int end = matchAt(c, i, to);
            out.add(i);
            out.add(end);
            i = end;
        }
    }

    private static int matchAt(char[] c, int i, int to) {
        char ch = c[i];
        // 's|'t|'re|'ve|'m|'ll|'d
        if (ch == '\'' && i + 1 < to) {
            char a = c[i + 1];
            if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
            if (i + 2 < to) {
                char b = c[i + 2];
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
            }
        }
        int cp = Character.codePointAt(c, i, to);
        // " ?X+" for X = letters, numbers, other: the optional space binds to the run after it.
        int runStart = i;
        int kindCp = cp;
        if (ch == ' ' && i + 1 < to) {
            runStart = i + 1;
            kindCp = Character.codePointAt(c, runStart, to);
        }
        int kind = kind(kindCp);
        if (kind != SPACE) {
            int j = runStart + Character.charCount(kindCp);
            while (j < to) {
                int d = Character.codePointAt(c, j, to);
                if (kind(d) != kind) break;
                j += Character.charCount(d);
            }
            return j;
        }
        // \s+(?!\S) then \s+ : a whitespace run, minus its last char when a non-space follows
        // (that char then joins the next word as its " ?" prefix), unless the run is one char.
        int j = i;
        while (j < to) {
            int d = Character.codePointAt(c, j, to);
            if (!Unicode.isWhitespace(d)) break;
            j += Character.charCount(d);
        }
        if (j == to) return j;
        int lastStart = j - 1; // whitespace is always in the BMP
        return lastStart > i ? lastStart : j;
    }

    private static final int LETTER = 1, NUMBER = 2, OTHER = 3, SPACE = 0;

    private static int kind(int cp) {
        if (Unicode.isWhitespace(cp)) return SPACE;
        if (Unicode.isLetter(cp)) return LETTER;
        if (Unicode.isNumber(cp)) return NUMBER;
        return OTHER;
    }
}
