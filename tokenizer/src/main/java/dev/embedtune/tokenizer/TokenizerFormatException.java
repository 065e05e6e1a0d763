package dev.embedtune.tokenizer;

/**
 * A {@code tokenizer.json} (or {@code vocab.txt}) that cannot be loaded. The message always names
 * the source, the JSON path of the offending field, what was expected and what was found, e.g.
 * {@code tokenizer.json: model.type: unknown "Foo", expected one of [WordPiece, BPE]}.
 */
public final class TokenizerFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
