package dev.embedtune.model.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that cannot be read as such; the message names the file and the tensor. */
public class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(Path file, String message) {
        super(file + ": " + message);
    }

    public SafetensorsException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }

    /** An error about one tensor: "file: tensor 'name': message". */
    public static SafetensorsException tensor(Path file, String tensor, String message) {
        return new SafetensorsException(file, "tensor '" + tensor + "': " + message);
    }
}
