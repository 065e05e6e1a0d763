package dev.embedtune.model;

import java.util.List;

/**
 * Anything that maps texts to embeddings, one row per text in input order. The embedding API
 * implements it; evaluators and miners depend only on this, so tests can use toy encoders whose
 * metrics are worked out by hand.
 */
@FunctionalInterface
public interface TextEncoder {
    /** @return one embedding per text, {@code [texts.size()][dim]}; an empty list gives an empty array */
    float[][] encode(List<String> texts);
}
