package dev.embedtune.model.onnx;

/** Bytes that break the protocol-buffers wire format itself (as opposed to a valid message the importer cannot use). */
final class MalformedProtoException extends OnnxFormatException {
    private static final long serialVersionUID = 1L;

    MalformedProtoException(String message) {
        super(message);
    }
}
