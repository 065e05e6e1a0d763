package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs several evaluators one after another and merges their metrics, adding
 * {@code sequential_score}: the primary scores combined by {@link Aggregation} (sentence-transformers'
 * default is the last evaluator's score). {@code sequential_score} is the primary metric.
 */
public final class SequentialEvaluator implements Evaluator<SequentialEvaluator.Result> {

    /** How the evaluators' primary scores become {@code sequential_score}. */
    public enum Aggregation {
        /** The last evaluator's primary score (sentence-transformers' default). */
        LAST,
        /** The mean of all primary scores. */
        MEAN
    }

    /** Every evaluator's result and the combined score. */
    public record Result(List<EvaluationResult> results, double sequentialScore, boolean greaterIsBetter)
            implements EvaluationResult {

        public Result {
            results = List.copyOf(results);
        }

        @Override
        public String primaryMetric() {
            return "sequential_score";
        }

        @Override
        public Map<String, Double> metrics() {
            Map<String, Double> out = new LinkedHashMap<>();
            for (EvaluationResult r : results) {
                out.putAll(r.metrics());
            }
            out.put("sequential_score", sequentialScore);
            return out;
        }
    }

    private final List<Evaluator<?>> evaluators;
    private final Aggregation aggregation;

    public SequentialEvaluator(List<? extends Evaluator<?>> evaluators, Aggregation aggregation) {
        if (evaluators.isEmpty()) {
            throw new IllegalArgumentException("SequentialEvaluator needs at least one evaluator");
        }
        this.evaluators = List.copyOf(evaluators);
        this.aggregation = aggregation;
    }

    @Override
    public Result evaluate(TextEncoder encoder) {
        List<EvaluationResult> results = new ArrayList<>();
        for (Evaluator<?> e : evaluators) {
            results.add(e.evaluate(encoder));
        }
        EvaluationResult last = results.get(results.size() - 1);
        double score = switch (aggregation) {
            case LAST -> last.primaryScore();
            case MEAN -> {
                for (EvaluationResult r : results) {
                    if (r.greaterIsBetter() != last.greaterIsBetter()) {
                        throw new IllegalStateException("cannot average " + r.primaryMetric() + " and "
                                + last.primaryMetric() + ": one is better when larger, the other when smaller");
                    }
                }
                yield results.stream().mapToDouble(EvaluationResult::primaryScore).average().orElseThrow();
            }
        };
        return new Result(results, score, last.greaterIsBetter());
    }
}
