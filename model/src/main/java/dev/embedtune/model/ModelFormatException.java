package dev.embedtune.model;

import java.io.IOException;
import java.nio.file.Path;

/** A model file that is not what it should be; the message names the file and the field or tensor. */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(Path file, String message) {
        super(file + ": " + message);
    }

    public ModelFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
