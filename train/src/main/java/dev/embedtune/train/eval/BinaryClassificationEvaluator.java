package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pairs labelled 1 (similar / duplicate) or 0, classified by thresholding their similarity:
 * accuracy, F1, precision, recall with the best thresholds, average precision and MCC per function
 * ({@link BinaryClassificationMetrics}), as sentence-transformers' {@code BinaryClassificationEvaluator}.
 * Keys {@code cosine_accuracy}, {@code cosine_accuracy_threshold}, {@code cosine_f1},
 * {@code cosine_f1_threshold}, {@code cosine_precision}, {@code cosine_recall}, {@code cosine_ap},
 * {@code cosine_mcc}; primary metric {@code <main>_ap}.
 */
public final class BinaryClassificationEvaluator implements Evaluator<BinaryClassificationEvaluator.Result> {

    /** The metrics per function. */
    public record Result(String name, Map<SimilarityFunction, BinaryClassificationMetrics> byFunction,
            SimilarityFunction main) implements EvaluationResult {

        @Override
        public String primaryMetric() {
            return EvaluationResult.prefixed(name, main.key() + "_ap");
        }

        @Override
        public boolean greaterIsBetter() {
            return true;
        }

        @Override
        public Map<String, Double> metrics() {
            Map<String, Double> out = new LinkedHashMap<>();
            byFunction.forEach((f, m) -> {
                String p = f.key() + "_";
                out.put(EvaluationResult.prefixed(name, p + "accuracy"), m.accuracy());
                out.put(EvaluationResult.prefixed(name, p + "accuracy_threshold"), m.accuracyThreshold());
                out.put(EvaluationResult.prefixed(name, p + "f1"), m.f1());
                out.put(EvaluationResult.prefixed(name, p + "f1_threshold"), m.f1Threshold());
                out.put(EvaluationResult.prefixed(name, p + "precision"), m.precision());
                out.put(EvaluationResult.prefixed(name, p + "recall"), m.recall());
                out.put(EvaluationResult.prefixed(name, p + "ap"), m.averagePrecision());
                out.put(EvaluationResult.prefixed(name, p + "mcc"), m.mcc());
            });
            return out;
        }
    }

    private final List<String> sentences1, sentences2;
    private final int[] labels;
    private final String name;
    private final List<SimilarityFunction> functions;
    private final int batchSize;

    /**
     * @param labels 0 or 1 per pair
     * @param functions cosine and/or dot; the first is the main one
     */
    public BinaryClassificationEvaluator(List<String> sentences1, List<String> sentences2, List<Integer> labels,
            String name, List<SimilarityFunction> functions, int batchSize) {
        if (sentences1.size() != sentences2.size() || sentences1.size() != labels.size()) {
            throw new IllegalArgumentException("sentences1, sentences2 and labels differ in length: "
                    + sentences1.size() + ", " + sentences2.size() + ", " + labels.size());
        }
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("at least one similarity function is needed");
        }
        for (SimilarityFunction f : functions) {
            if (f != SimilarityFunction.COSINE && f != SimilarityFunction.DOT) {
                // sentence-transformers' distance variants flip the sort order; only similarities are supported here.
                throw new IllegalArgumentException("binary classification supports cosine and dot, got " + f.key());
            }
        }
        this.sentences1 = List.copyOf(sentences1);
        this.sentences2 = List.copyOf(sentences2);
        this.labels = labels.stream().mapToInt(Integer::intValue).toArray();
        this.name = name;
        this.functions = List.copyOf(functions);
        this.batchSize = batchSize;
    }

    /** Cosine only, unnamed. */
    public BinaryClassificationEvaluator(List<String> sentences1, List<String> sentences2, List<Integer> labels) {
        this(sentences1, sentences2, labels, "", List.of(SimilarityFunction.COSINE), Encoding.DEFAULT_BATCH_SIZE);
    }

    /**
     * The labelled pairs of a {@link dev.embedtune.train.data.ExampleFormat#PAIR_LABEL} dataset, cosine only.
     *
     * @throws IllegalArgumentException if the dataset has another format
     */
    public static BinaryClassificationEvaluator of(dev.embedtune.train.data.Dataset data, String name) {
        if (data.format() != dev.embedtune.train.data.ExampleFormat.PAIR_LABEL) {
            throw new IllegalArgumentException(data.name() + ": BinaryClassificationEvaluator needs pairs with a 0/1 "
                    + "label, found format " + data.format());
        }
        List<String> s1 = new ArrayList<>(), s2 = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (dev.embedtune.train.data.Example e : data.examples()) {
            s1.add(e.anchor());
            s2.add(e.positive());
            labels.add(e.label().intValue());
        }
        return new BinaryClassificationEvaluator(s1, s2, labels, name, List.of(SimilarityFunction.COSINE),
                Encoding.DEFAULT_BATCH_SIZE);
    }

    @Override
    public Result evaluate(TextEncoder encoder) {
        List<String> all = new ArrayList<>(sentences1);
        all.addAll(sentences2);
        float[][] e = Encoding.encodeDistinct(encoder, all, batchSize);
        int n = sentences1.size();
        Map<SimilarityFunction, BinaryClassificationMetrics> byFunction = new LinkedHashMap<>();
        for (SimilarityFunction f : functions) {
            double[] scores = new double[n];
            for (int i = 0; i < n; i++) {
                scores[i] = f.similarity(e[i], e[n + i]);
            }
            byFunction.put(f, BinaryClassificationMetrics.of(scores, labels));
        }
        return new Result(name, byFunction, functions.get(0));
    }
}
