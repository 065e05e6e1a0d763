package dev.embedtune.train.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reader of delimiter-separated records following RFC 4180: fields separated by the delimiter
 * (comma for CSV, tab for TSV), records by CRLF or LF, a field may be enclosed in double quotes and
 * then hold delimiters, line breaks and doubled quotes ({@code ""} stands for one {@code "}).
 * A quote inside an unquoted field is kept literally, as most writers and readers do.
 */
final class DelimitedParser {

    /** One record and the (1-based) physical line it starts on. */
    record Row(long line, List<String> fields) {}

    private final Reader in;
    private final char delimiter;
    private final Path file;
    private long line = 1;
    private int peeked = -2; // -2: nothing peeked

    DelimitedParser(Reader in, char delimiter, Path file) {
        this.in = in;
        this.delimiter = delimiter;
        this.file = file;
    }

    private int read() throws IOException {
        if (peeked != -2) {
            int c = peeked;
            peeked = -2;
            return c;
        }
        return in.read();
    }

    private int peek() throws IOException {
        if (peeked == -2) {
            peeked = in.read();
        }
        return peeked;
    }

    /** The next record, or {@code null} at end of input. Blank lines are skipped. */
    Row next() throws IOException {
        while (true) {
            int c = peek();
            if (c == -1) {
                return null;
            }
            if (c == '\n') {
                read();
                line++;
                continue;
            }
            if (c == '\r') {
                read();
                if (peek() == '\n') {
                    read();
                }
                line++;
                continue;
            }
            break;
        }
        long start = line;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        while (true) {
            int c = read();
            if (c == '"' && field.length() == 0) {
                readQuoted(field, start);
                c = read();
                if (c != delimiter && c != '\n' && c != '\r' && c != -1) {
                    throw new DatasetFormatException(file, line, "expected a delimiter or end of line after the "
                            + "closing quote of field " + (fields.size() + 1) + ", found '" + (char) c + "'");
                }
            }
            if (c == delimiter) {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c == '\r' || c == -1) {
                if (c == '\r' && peek() == '\n') {
                    read();
                }
                if (c != -1) {
                    line++;
                }
                fields.add(field.toString());
                return new Row(start, fields);
            } else {
                field.append((char) c);
            }
        }
    }

    private void readQuoted(StringBuilder field, long start) throws IOException {
        while (true) {
            int c = read();
            if (c == -1) {
                throw new DatasetFormatException(file, start, "quoted field opened on this line is never closed");
            }
            if (c == '"') {
                if (peek() == '"') {
                    read();
                    field.append('"');
                    continue;
                }
                return;
            }
            if (c == '\n') {
                line++;
            } else if (c == '\r') {
                if (peek() != '\n') {
                    line++;
                }
            }
            field.append((char) c);
        }
    }
}
