package dev.embedtune.model;

/** An embedding with NaN or ±∞ in it, which the Embedder API never returns. */
public class NonFiniteEmbeddingException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    public NonFiniteEmbeddingException(String message) {
        super(message);
    }
}
