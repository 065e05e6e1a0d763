package dev.embedtune.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 8: text that is not UTF-8 is named by file, line and byte offset (counted by hand
 * below), instead of the JDK's {@code MalformedInputException: Input length = 1}; valid UTF-8 (with
 * 2-, 3- and 4-byte characters, a byte-order mark, lines across the reader's 64 KiB buffer) reads
 * exactly as {@code Files.readAllLines} reads it.
 */
class Utf8ReaderTest {

    @TempDir
    Path tmp;

    private static List<String> lines(Path f) throws IOException {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = Utf8Reader.lines(f)) {
            for (String l; (l = r.readLine()) != null; ) {
                out.add(l);
            }
        }
        return out;
    }

    @Test
    void latin1IsNamedByFileLineAndByteOffset() throws IOException {
        Path f = tmp.resolve("data.jsonl");
        // line 1: {"q": "plain"} is 14 bytes + \n = 15; line 2: {"q": "caf is 10 bytes, then é in Latin-1 (0xE9) at offset 25
        byte[] line1 = "{\"q\": \"plain\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] line2 = "{\"q\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[line1.length + line2.length];
        System.arraycopy(line1, 0, all, 0, line1.length);
        System.arraycopy(line2, 0, all, line1.length, line2.length);
        Files.write(f, all);
        IOException e = assertThrows(IOException.class, () -> lines(f));
        assertEquals(f + ":2: not valid UTF-8 at byte offset 25 (bytes e9 22 7d); embedtune reads UTF-8 text: save the file as UTF-8"
                + " (e.g. iconv -f LATIN1 -t UTF-8)", e.getMessage());
    }

    @Test
    void anOffsetFarIntoALargeFileAfterMultiByteCharacters() throws IOException {
        Path f = tmp.resolve("big.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 30_000; i++) {
            sb.append("é€𝄞 line ").append(i).append('\n');   // 2 + 3 + 4 + 6 + digits + 1 bytes
        }
        byte[] good = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[good.length + 3];
        System.arraycopy(good, 0, bad, 0, good.length);
        bad[good.length] = 'x';
        bad[good.length + 1] = (byte) 0xC3;   // a 2-byte lead followed by an ASCII byte: malformed
        bad[good.length + 2] = 'y';
        Files.write(f, bad);
        IOException e = assertThrows(IOException.class, () -> lines(f));
        assertTrue(e.getMessage().startsWith(f + ":30001: not valid UTF-8 at byte offset " + (good.length + 1) + " "), e.getMessage());

        Files.write(f, good);
        assertEquals(Files.readAllLines(f, StandardCharsets.UTF_8), lines(f));
    }

    @Test
    void aByteOrderMarkIsSkippedAndUtf16AndNulAreRefused() throws IOException {
        Path bom = tmp.resolve("bom.csv");
        Files.write(bom, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'a', ',', 'b', '\n'});
        assertEquals(List.of("a,b"), lines(bom));

        Path utf16 = tmp.resolve("utf16.csv");
        Files.write(utf16, "a,b\n".getBytes(StandardCharsets.UTF_16));   // big-endian with its mark
        IOException e = assertThrows(IOException.class, () -> lines(utf16));
        assertTrue(e.getMessage().startsWith(utf16 + ": starts with a UTF-16 byte-order mark (bytes fe ff)"), e.getMessage());

        Path nul = tmp.resolve("nul.txt");
        Files.write(nul, new byte[] {'a', '\n', 'b', 0, 'c'});
        e = assertThrows(IOException.class, () -> lines(nul));
        assertTrue(e.getMessage().startsWith(nul + ":2: NUL byte at byte offset 3;"), e.getMessage());

        Path cut = tmp.resolve("cut.txt");
        Files.write(cut, new byte[] {'a', 'b', (byte) 0xE2, (byte) 0x82});   // € cut off by the end of the file
        e = assertThrows(IOException.class, () -> lines(cut));
        assertTrue(e.getMessage().startsWith(cut + ":1: not valid UTF-8 at byte offset 2 (bytes e2 82)"), e.getMessage());
    }

    @Test
    void theDatasetLoaderSaysTheSame() throws IOException {
        Path f = tmp.resolve("pairs.csv");
        Files.write(f, "query,passage\nna\u00efve,x\n".getBytes(StandardCharsets.ISO_8859_1));
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> DatasetLoader.load(f, ColumnMapping.parse("query→anchor, passage→positive")));
        assertTrue(e.getMessage().startsWith(f + ":2: not valid UTF-8 at byte offset 16 (bytes ef 76"), e.getMessage());
    }
}
