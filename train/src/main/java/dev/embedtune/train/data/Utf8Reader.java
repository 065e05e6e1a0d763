package dev.embedtune.train.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every text file embedtune reads (data files, embed's and tokenize's inputs, settings files) is
 * read here: strict UTF-8, and when the bytes are not, an error that says where instead of the
 * JDK's bare {@code MalformedInputException: Input length = 1}: the file, the line, the byte offset
 * from the start of the file and the bytes found, e.g.
 * {@code data.jsonl:3: not valid UTF-8 at byte offset 57 (bytes e9 74): save the file as UTF-8}.
 *
 * <p>A leading UTF-8 byte-order mark is skipped (spreadsheet exports write one). A UTF-16 byte-order
 * mark and a NUL byte are errors too: both are valid UTF-8 bytes, but no text file embedtune reads
 * holds them, and a UTF-16 file without a mark would otherwise decode as text with a NUL after every
 * ASCII letter.
 */
public final class Utf8Reader extends Reader {

    /** A file that is not UTF-8 text; the message names the file, line and byte offset. */
    public static final class NotUtf8Exception extends java.nio.charset.CharacterCodingException {
        private static final long serialVersionUID = 1L;
        private final String message;

        NotUtf8Exception(String message) {
            this.message = message;
        }

        @Override
        public String getMessage() {
            return message;
        }
    }

    private final Path file;
    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(1 << 16).flip();   // read mode
    private final CharBuffer chars = CharBuffer.allocate(1 << 16).flip();   // decoded, not yet handed out
    private long offset;        // file offset of bytes.position()
    private long newlines;      // '\n' decoded so far
    private boolean eof;
    private boolean started;
    private boolean flushed;

    private Utf8Reader(Path file, InputStream in) {
        this.file = file;
        this.in = in;
    }

    /** A reader of {@code file}; buffered, so wrap it in a {@link BufferedReader} only for {@code readLine}. */
    public static Utf8Reader open(Path file) throws IOException {
        return new Utf8Reader(file, Files.newInputStream(file));
    }

    /** A line reader of {@code file}. */
    public static BufferedReader lines(Path file) throws IOException {
        return new BufferedReader(open(file), 1 << 16);
    }

    /** The whole of {@code file} as a string. */
    public static String readString(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Utf8Reader r = open(file)) {
            char[] buf = new char[1 << 14];
            for (int n; (n = r.read(buf, 0, buf.length)) >= 0; ) {
                sb.append(buf, 0, n);
            }
        }
        return sb.toString();
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!chars.hasRemaining() && !fill()) {
            return -1;
        }
        int n = Math.min(len, chars.remaining());
        chars.get(cbuf, off, n);
        return n;
    }

    /** Decodes at least one more character into {@link #chars}; false at the end of the file. */
    private boolean fill() throws IOException {
        if (flushed) {
            return false;   // the decoder is done; calling it again is an error
        }
        chars.clear();
        try {
            while (chars.position() == 0) {
                if (!bytes.hasRemaining() || !eof && bytes.remaining() < 4) {
                    refill();
                }
                if (!started) {
                    skipByteOrderMark();
                }
                int bytesBefore = bytes.position();
                int charsBefore = chars.position();
                CoderResult r = decoder.decode(bytes, chars, eof);
                checkDecoded(charsBefore, bytesBefore);
                offset += bytes.position() - bytesBefore;
                if (r.isError()) {
                    throw notUtf8(r.length());
                }
                if (r.isUnderflow() && eof) {
                    if (bytes.hasRemaining()) {
                        throw notUtf8(bytes.remaining());   // a sequence cut off by the end of the file
                    }
                    decoder.flush(chars);
                    flushed = true;
                    break;
                }
            }
        } finally {
            chars.flip();
        }
        return chars.hasRemaining();
    }

    private void refill() throws IOException {
        bytes.compact();
        while (!eof && bytes.position() < 4) {   // at least a whole UTF-8 sequence (and a byte-order mark) when there is one
            int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) {
                eof = true;
            } else {
                bytes.position(bytes.position() + n);
            }
        }
        bytes.flip();
    }

    private void skipByteOrderMark() throws IOException {
        if (bytes.remaining() < 3 && !eof) {
            return;   // not enough read yet to tell
        }
        started = true;
        int b0 = bytes.remaining() > 0 ? bytes.get(bytes.position()) & 0xFF : -1;
        int b1 = bytes.remaining() > 1 ? bytes.get(bytes.position() + 1) & 0xFF : -1;
        int b2 = bytes.remaining() > 2 ? bytes.get(bytes.position() + 2) & 0xFF : -1;
        if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) {
            bytes.position(bytes.position() + 3);
            offset += 3;
        } else if (b0 == 0xFF && b1 == 0xFE || b0 == 0xFE && b1 == 0xFF) {
            throw new NotUtf8Exception(file + ": starts with a UTF-16 byte-order mark (bytes " + hex(2)
                    + "); embedtune reads UTF-8 text: save the file as UTF-8");
        }
    }

    /** Counts the newlines just decoded and refuses a NUL character. */
    private void checkDecoded(int from, int bytesBefore) throws NotUtf8Exception {
        long bytePos = offset;
        for (int i = from; i < chars.position(); i++) {
            char c = chars.get(i);
            if (c == '\n') {
                newlines++;
            } else if (c == 0) {
                throw new NotUtf8Exception(file + ":" + (newlines + 1) + ": NUL byte at byte offset " + bytePos
                        + "; this is not a text file (binary, or UTF-16 without a byte-order mark?): embedtune reads UTF-8 text");
            }
            bytePos += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
    }

    private NotUtf8Exception notUtf8(int length) {
        return new NotUtf8Exception(file + ":" + (newlines + 1) + ": not valid UTF-8 at byte offset " + offset + " (bytes "
                + hex(Math.min(Math.max(length, 1) + 2, bytes.remaining())) + "); embedtune reads UTF-8 text: save the file as UTF-8"
                + " (e.g. iconv -f LATIN1 -t UTF-8)");
    }

    private String hex(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n && bytes.position() + i < bytes.limit(); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", bytes.get(bytes.position() + i) & 0xFF));
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
