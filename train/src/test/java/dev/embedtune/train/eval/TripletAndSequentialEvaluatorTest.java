package dev.embedtune.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TripletAndSequentialEvaluatorTest {

    /*
     * anchor "1 0" throughout.
     *   t0: positive "2 0" (cos 1, dot 2),    negative "1 1" (cos 0.707, dot 1)  → cos ✓, dot ✓
     *   t1: positive "1 1" (cos 0.707, dot 1), negative "5 5" (cos 0.707, dot 5) → cos tie ✗, dot ✗
     *   t2: positive "1 0" (cos 1, dot 1),    negative "3 4" (cos 0.6, dot 3)    → cos ✓, dot ✗
     *   t3: positive "0 1" (cos 0, dot 0),    negative "-1 0" (cos -1, dot -1)   → cos ✓, dot ✓
     * cosine accuracy 3/4, dot 2/4. Euclidean (negated distance): t0 1 vs 1 ✗ (tie), t1 1 vs √41 ✓,
     *   t2 0 vs √20 ✓, t3 √2 vs 2 ✓ → 3/4.
     */
    private static TripletEvaluator evaluator(String name) {
        return new TripletEvaluator(List.of("1 0", "1 0", "1 0", "1 0"), List.of("2 0", "1 1", "1 0", "0 1"),
                List.of("1 1", "5 5", "3 4", "-1 0"), name,
                List.of(SimilarityFunction.COSINE, SimilarityFunction.DOT, SimilarityFunction.EUCLIDEAN), 0, 64);
    }

    @Test
    void tripletAccuracyPerFunction() {
        TripletEvaluator.Result r = evaluator("").evaluate(new ToyEncoder());
        assertEquals(Map.of("cosine_accuracy", 0.75, "dot_accuracy", 0.5, "euclidean_accuracy", 0.75), r.metrics());
        assertEquals("cosine_accuracy", r.primaryMetric());
    }

    @Test
    void buildsFromDatasetsOfTheMatchingFormat() {
        dev.embedtune.train.data.Dataset triplets = new dev.embedtune.train.data.Dataset("t.jsonl",
                dev.embedtune.train.data.ExampleFormat.TRIPLET,
                List.of(new dev.embedtune.train.data.Example(List.of("1 0", "2 0", "0 1"), null, null)));
        assertEquals(Map.of("dev_cosine_accuracy", 1.0), TripletEvaluator.of(triplets, "dev").evaluate(new ToyEncoder())
                .metrics());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BinaryClassificationEvaluator.of(triplets, "dev"));
        assertEquals("t.jsonl: BinaryClassificationEvaluator needs pairs with a 0/1 label, found format TRIPLET",
                e.getMessage());
    }

    @Test
    void sequentialMergesMetricsAndScoresTheLastOrTheMean() {
        ToyEncoder encoder = new ToyEncoder();
        Evaluator<?> similarity = new EmbeddingSimilarityEvaluator(List.of("1 0", "1 0", "1 0"),
                List.of("1 0", "3 4", "0 1"), List.of(5.0, 1.0, 3.0), "sts", List.of(SimilarityFunction.COSINE), 64);
        SequentialEvaluator.Result last = new SequentialEvaluator(List.of(similarity, evaluator("triplets")),
                SequentialEvaluator.Aggregation.LAST).evaluate(encoder);
        assertEquals("sequential_score", last.primaryMetric());
        assertEquals(0.75, last.primaryScore(), 0.0); // the triplet evaluator's cosine accuracy
        assertEquals(List.of("sts_pearson_cosine", "sts_spearman_cosine", "triplets_cosine_accuracy",
                "triplets_dot_accuracy", "triplets_euclidean_accuracy", "sequential_score"),
                List.copyOf(last.metrics().keySet()));
        SequentialEvaluator.Result mean = new SequentialEvaluator(List.of(similarity, evaluator("triplets")),
                SequentialEvaluator.Aggregation.MEAN).evaluate(encoder);
        // (spearman 0.5 + accuracy 0.75) / 2, see CorrelationTest for the 0.5.
        assertEquals(0.625, mean.primaryScore(), 1e-12);
    }
}
