package dev.embedtune.train.eval;

import java.util.Map;

/**
 * What an evaluator measured. {@link #metrics()} uses sentence-transformers' key names (e.g.
 * {@code cosine_ndcg@10}), prefixed by the evaluator's name when it has one
 * ({@code dim_128_cosine_ndcg@10}).
 */
public interface EvaluationResult {

    /** The key in {@link #metrics()} a trainer selects checkpoints by. */
    String primaryMetric();

    /** Whether a larger primary metric is better. */
    boolean greaterIsBetter();

    /** Every metric by key, in a stable order. */
    Map<String, Double> metrics();

    /** The value of the primary metric. */
    default double primaryScore() {
        Double v = metrics().get(primaryMetric());
        if (v == null) {
            throw new IllegalStateException("primary metric " + primaryMetric() + " is not among " + metrics().keySet());
        }
        return v;
    }

    /** {@code name + "_" + key}, or {@code key} when the name is empty (sentence-transformers' prefix rule). */
    static String prefixed(String name, String key) {
        return name == null || name.isEmpty() ? key : name + "_" + key;
    }
}
