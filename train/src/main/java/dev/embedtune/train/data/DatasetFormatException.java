package dev.embedtune.train.data;

import java.nio.file.Path;

/** A data file that cannot be read as the mapping asks; the message names file, line and column. */
public final class DatasetFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DatasetFormatException(Path file, long line, String message) {
        super(file + ":" + line + ": " + message);
    }

    public DatasetFormatException(Path file, String message) {
        super(file + ": " + message);
    }
}
