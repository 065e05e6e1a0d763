package dev.embedtune.model.onnx;

import java.io.IOException;

/** ONNX bytes that cannot be read, or a graph the importer cannot map; the caller adds the file. */
public class OnnxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public OnnxFormatException(String message) {
        super(message);
    }
}
