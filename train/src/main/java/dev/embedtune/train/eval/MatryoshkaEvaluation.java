package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Evaluation per Matryoshka dimension: for each dimension d the evaluator built by the factory (named
 * {@code dim_<d>}, so its keys read {@code dim_128_cosine_ndcg@10}) runs on the embeddings truncated
 * to their first d values and L2-normalised ({@link MatryoshkaEncoder}). The base encoder runs once
 * per distinct text ({@link CachingEncoder}); the results form a {@link SequentialEvaluator.Result}
 * whose {@code sequential_score} is the mean primary score over dimensions.
 */
public final class MatryoshkaEvaluation implements Evaluator<SequentialEvaluator.Result> {

    private final List<Integer> dims;
    private final Function<String, Evaluator<?>> factory;

    /**
     * @param dims the dimensions, e.g. 384, 256, 128, 64
     * @param factory builds the evaluator for one dimension from its name {@code dim_<d>}
     */
    public MatryoshkaEvaluation(List<Integer> dims, Function<String, Evaluator<?>> factory) {
        if (dims.isEmpty()) {
            throw new IllegalArgumentException("at least one Matryoshka dimension is needed");
        }
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("Matryoshka dimensions must be >= 1, got " + d);
            }
        }
        this.dims = List.copyOf(dims);
        this.factory = factory;
    }

    /** The metric-key prefix of a dimension. */
    public static String nameOf(int dim) {
        return "dim_" + dim;
    }

    @Override
    public SequentialEvaluator.Result evaluate(TextEncoder encoder) {
        CachingEncoder cached = new CachingEncoder(encoder);
        List<Evaluator<?>> perDim = new ArrayList<>();
        for (int d : dims) {
            Evaluator<?> inner = factory.apply(nameOf(d));
            MatryoshkaEncoder truncated = new MatryoshkaEncoder(cached, d);
            perDim.add(e -> inner.evaluate(truncated));
        }
        return new SequentialEvaluator(perDim, SequentialEvaluator.Aggregation.MEAN).evaluate(encoder);
    }
}
