package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How well similarity scores of sentence pairs follow gold scores (STS-style data): Pearson and
 * Spearman correlation per similarity function, as sentence-transformers'
 * {@code EmbeddingSimilarityEvaluator}. Keys {@code pearson_cosine}, {@code spearman_cosine}, …;
 * primary metric {@code spearman_<main>}.
 */
public final class EmbeddingSimilarityEvaluator implements Evaluator<EmbeddingSimilarityEvaluator.Result> {

    /** One function's correlations. */
    public record Correlations(double pearson, double spearman) {}

    /** The correlations per function. */
    public record Result(String name, Map<SimilarityFunction, Correlations> byFunction, SimilarityFunction main)
            implements EvaluationResult {

        @Override
        public String primaryMetric() {
            return EvaluationResult.prefixed(name, "spearman_" + main.key());
        }

        @Override
        public boolean greaterIsBetter() {
            return true;
        }

        @Override
        public Map<String, Double> metrics() {
            Map<String, Double> out = new LinkedHashMap<>();
            byFunction.forEach((f, c) -> {
                out.put(EvaluationResult.prefixed(name, "pearson_" + f.key()), c.pearson());
                out.put(EvaluationResult.prefixed(name, "spearman_" + f.key()), c.spearman());
            });
            return out;
        }
    }

    private final List<String> sentences1;
    private final List<String> sentences2;
    private final double[] gold;
    private final String name;
    private final List<SimilarityFunction> functions;
    private final SimilarityFunction main;
    private final int batchSize;

    /**
     * @param functions the functions to report; the first is the main one
     */
    public EmbeddingSimilarityEvaluator(List<String> sentences1, List<String> sentences2, List<Double> scores,
            String name, List<SimilarityFunction> functions, int batchSize) {
        if (sentences1.size() != sentences2.size() || sentences1.size() != scores.size()) {
            throw new IllegalArgumentException("sentences1, sentences2 and scores differ in length: "
                    + sentences1.size() + ", " + sentences2.size() + ", " + scores.size());
        }
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("at least one similarity function is needed");
        }
        this.sentences1 = List.copyOf(sentences1);
        this.sentences2 = List.copyOf(sentences2);
        this.gold = scores.stream().mapToDouble(Double::doubleValue).toArray();
        this.name = name;
        this.functions = List.copyOf(functions);
        this.main = functions.get(0);
        this.batchSize = batchSize;
    }

    /** Cosine only, unnamed. */
    public EmbeddingSimilarityEvaluator(List<String> sentences1, List<String> sentences2, List<Double> scores) {
        this(sentences1, sentences2, scores, "", List.of(SimilarityFunction.COSINE), Encoding.DEFAULT_BATCH_SIZE);
    }

    /**
     * The scored pairs of a {@link dev.embedtune.train.data.ExampleFormat#PAIR_SCORE} dataset, cosine only.
     *
     * @throws IllegalArgumentException if the dataset has another format
     */
    public static EmbeddingSimilarityEvaluator of(dev.embedtune.train.data.Dataset data, String name) {
        if (data.format() != dev.embedtune.train.data.ExampleFormat.PAIR_SCORE) {
            throw new IllegalArgumentException(data.name() + ": EmbeddingSimilarityEvaluator needs pairs with a "
                    + "float score, found format " + data.format());
        }
        List<String> s1 = new ArrayList<>(), s2 = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (dev.embedtune.train.data.Example e : data.examples()) {
            s1.add(e.anchor());
            s2.add(e.positive());
            scores.add(e.label());
        }
        return new EmbeddingSimilarityEvaluator(s1, s2, scores, name, List.of(SimilarityFunction.COSINE),
                Encoding.DEFAULT_BATCH_SIZE);
    }

    @Override
    public Result evaluate(TextEncoder encoder) {
        List<String> all = new ArrayList<>(sentences1);
        all.addAll(sentences2);
        float[][] e = Encoding.encodeDistinct(encoder, all, batchSize);
        int n = sentences1.size();
        Map<SimilarityFunction, Correlations> byFunction = new LinkedHashMap<>();
        for (SimilarityFunction f : functions) {
            double[] s = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = f.similarity(e[i], e[n + i]);
            }
            byFunction.put(f, new Correlations(Correlation.pearson(gold, s), Correlation.spearman(gold, s)));
        }
        return new Result(name, byFunction, main);
    }
}
