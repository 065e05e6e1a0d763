package dev.embedtune.tokenizer;

/**
 * GPT-2's reversible byte-to-char map: the 188 printable Latin-1 bytes map to themselves, the
 * other 68 bytes (controls, space, soft hyphen...) to U+0100 onwards in byte order, so every byte
 * sequence becomes a string of visible chars ("Ġ" is the space).
 */
final class ByteLevel {
    private ByteLevel() {}

    static final char[] BYTE_TO_CHAR = new char[256];
    /** -1 for chars that are not the image of a byte. */
    static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }
}
