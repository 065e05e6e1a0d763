package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;

/**
 * Measures an encoder on fixed data.
 *
 * @param <R> the typed result
 */
@FunctionalInterface
public interface Evaluator<R extends EvaluationResult> {

    /** Encodes this evaluator's texts with {@code encoder} and computes the metrics. */
    R evaluate(TextEncoder encoder);
}
