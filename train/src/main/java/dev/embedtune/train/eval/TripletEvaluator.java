package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fraction of (anchor, positive, negative) triplets with sim(anchor, positive) > sim(anchor,
 * negative) + margin, per similarity function, as sentence-transformers' {@code TripletEvaluator}
 * (distances negated, so "more similar" is always "larger"). A tie counts as a failure. Keys
 * {@code cosine_accuracy}, …; primary metric {@code <main>_accuracy}.
 */
public final class TripletEvaluator implements Evaluator<TripletEvaluator.Result> {

    /** The accuracy per function. */
    public record Result(String name, Map<SimilarityFunction, Double> accuracy, SimilarityFunction main)
            implements EvaluationResult {

        @Override
        public String primaryMetric() {
            return EvaluationResult.prefixed(name, main.key() + "_accuracy");
        }

        @Override
        public boolean greaterIsBetter() {
            return true;
        }

        @Override
        public Map<String, Double> metrics() {
            Map<String, Double> out = new LinkedHashMap<>();
            accuracy.forEach((f, a) -> out.put(EvaluationResult.prefixed(name, f.key() + "_accuracy"), a));
            return out;
        }
    }

    private final List<String> anchors, positives, negatives;
    private final String name;
    private final List<SimilarityFunction> functions;
    private final double margin;
    private final int batchSize;

    /**
     * @param functions the functions to report; the first is the main one
     * @param margin how much more similar the positive must be (sentence-transformers' default 0)
     */
    public TripletEvaluator(List<String> anchors, List<String> positives, List<String> negatives, String name,
            List<SimilarityFunction> functions, double margin, int batchSize) {
        if (anchors.size() != positives.size() || anchors.size() != negatives.size() || anchors.isEmpty()) {
            throw new IllegalArgumentException("anchors, positives and negatives must be non-empty and of equal "
                    + "length, got " + anchors.size() + ", " + positives.size() + ", " + negatives.size());
        }
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("at least one similarity function is needed");
        }
        this.anchors = List.copyOf(anchors);
        this.positives = List.copyOf(positives);
        this.negatives = List.copyOf(negatives);
        this.name = name;
        this.functions = List.copyOf(functions);
        this.margin = margin;
        this.batchSize = batchSize;
    }

    /** Cosine only, margin 0, unnamed. */
    public TripletEvaluator(List<String> anchors, List<String> positives, List<String> negatives) {
        this(anchors, positives, negatives, "", List.of(SimilarityFunction.COSINE), 0, Encoding.DEFAULT_BATCH_SIZE);
    }

    /**
     * The triplets of a {@link dev.embedtune.train.data.ExampleFormat#TRIPLET} dataset, cosine only.
     *
     * @throws IllegalArgumentException if the dataset has another format
     */
    public static TripletEvaluator of(dev.embedtune.train.data.Dataset data, String name) {
        if (data.format() != dev.embedtune.train.data.ExampleFormat.TRIPLET) {
            throw new IllegalArgumentException(data.name() + ": TripletEvaluator needs (anchor, positive, negative) "
                    + "triplets, found format " + data.format());
        }
        List<String> a = new ArrayList<>(), p = new ArrayList<>(), n = new ArrayList<>();
        for (dev.embedtune.train.data.Example e : data.examples()) {
            a.add(e.anchor());
            p.add(e.positive());
            n.add(e.negatives().get(0));
        }
        return new TripletEvaluator(a, p, n, name, List.of(SimilarityFunction.COSINE), 0, Encoding.DEFAULT_BATCH_SIZE);
    }

    @Override
    public Result evaluate(TextEncoder encoder) {
        List<String> all = new ArrayList<>(anchors);
        all.addAll(positives);
        all.addAll(negatives);
        float[][] e = Encoding.encodeDistinct(encoder, all, batchSize);
        int n = anchors.size();
        Map<SimilarityFunction, Double> accuracy = new LinkedHashMap<>();
        for (SimilarityFunction f : functions) {
            int correct = 0;
            for (int i = 0; i < n; i++) {
                if (f.similarity(e[i], e[n + i]) > f.similarity(e[i], e[2 * n + i]) + margin) {
                    correct++;
                }
            }
            accuracy.put(f, (double) correct / n);
        }
        return new Result(name, accuracy, functions.get(0));
    }
}
