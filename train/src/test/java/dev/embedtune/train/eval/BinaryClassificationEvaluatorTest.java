package dev.embedtune.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BinaryClassificationEvaluatorTest {

    private static final double TOL = 1e-12;

    /*
     * scores 0.9 0.8 0.7 0.4 0.2, labels 1 0 1 0 0 (already sorted high to low).
     * Accuracy walk (3 negatives): after 0.9: (1+3)/5 = 0.8 → threshold (0.9+0.8)/2 = 0.85; after 0.8: 0.6;
     *   after 0.7: (2+2)/5 = 0.8, not strictly better; after 0.4: 0.6.  → 0.8 at 0.85.
     * F1 walk (2 positives): after 0.9: P 1, R 1/2, F1 2/3 (thr 0.85); after 0.8: 1/2; after 0.7: P 2/3, R 1,
     *   F1 0.8 → thr (0.7+0.4)/2 = 0.55; after 0.4: 2/3.  → F1 0.8, P 2/3, R 1 at 0.55.
     * AP: steps at 0.9 (R 1/2, P 1) and 0.7 (R 1, P 2/3): 1/2·1 + 1/2·2/3 = 5/6.
     * MCC at score ≥ 0.55: tp 2, fp 1, fn 0, tn 2 → (2·2 − 0)/√(3·2·3·2) = 2/3.
     */
    @Test
    void handCase() {
        BinaryClassificationMetrics m = BinaryClassificationMetrics.of(new double[] {0.9, 0.8, 0.7, 0.4, 0.2},
                new int[] {1, 0, 1, 0, 0});
        assertEquals(0.8, m.accuracy(), TOL);
        assertEquals(0.85, m.accuracyThreshold(), TOL);
        assertEquals(0.8, m.f1(), TOL);
        assertEquals(2.0 / 3, m.precision(), TOL);
        assertEquals(1.0, m.recall(), TOL);
        assertEquals(0.55, m.f1Threshold(), TOL);
        assertEquals(5.0 / 6, m.averagePrecision(), TOL);
        assertEquals(2.0 / 3, m.mcc(), TOL);
    }

    @Test
    void inputOrderDoesNotMatterWhenScoresAreDistinct() {
        BinaryClassificationMetrics m = BinaryClassificationMetrics.of(new double[] {0.4, 0.9, 0.2, 0.7, 0.8},
                new int[] {0, 1, 0, 1, 0});
        assertEquals(0.8, m.f1(), TOL);
        assertEquals(0.55, m.f1Threshold(), TOL);
        assertEquals(5.0 / 6, m.averagePrecision(), TOL);
    }

    @Test
    void averagePrecisionTreatsTiedScoresAsOneThreshold() {
        // Scores 0.5 (1), 0.5 (0), 0.1 (1): the tie is one step, R 1/2 at P 1/2, then R 1 at P 2/3:
        // AP = 1/2·1/2 + 1/2·2/3 = 7/12, whatever the order inside the tie (scikit-learn steps once per distinct
        // threshold: precision_recall_curve merges tied scores).
        assertEquals(7.0 / 12, BinaryClassificationMetrics.averagePrecision(new double[] {0.5, 0.5, 0.1},
                new int[] {1, 0, 1}), TOL);
        assertEquals(7.0 / 12, BinaryClassificationMetrics.averagePrecision(new double[] {0.5, 0.5, 0.1},
                new int[] {0, 1, 1}), TOL);
    }

    @Test
    void evaluatorUsesCosineOfTheEmbeddingsAndSentenceTransformersKeys() {
        // sentence2 = (cos θ, sin θ) against sentence1 = (1, 0): the cosine is the hand case's score.
        double[] cos = {0.9, 0.8, 0.7, 0.4, 0.2};
        List<String> s1 = new ArrayList<>(), s2 = new ArrayList<>();
        for (double c : cos) {
            s1.add("1 0");
            s2.add((float) c + " " + (float) Math.sqrt(1 - c * c));
        }
        BinaryClassificationEvaluator.Result r = new BinaryClassificationEvaluator(s1, s2, List.of(1, 0, 1, 0, 0))
                .evaluate(new ToyEncoder());
        Map<String, Double> m = r.metrics();
        assertEquals(List.of("cosine_accuracy", "cosine_accuracy_threshold", "cosine_f1", "cosine_f1_threshold",
                "cosine_precision", "cosine_recall", "cosine_ap", "cosine_mcc"), List.copyOf(m.keySet()));
        assertEquals("cosine_ap", r.primaryMetric());
        // Embeddings are float32: thresholds agree with the hand case to 1e-6.
        assertEquals(0.85, m.get("cosine_accuracy_threshold"), 1e-6);
        assertEquals(0.55, m.get("cosine_f1_threshold"), 1e-6);
        assertEquals(5.0 / 6, m.get("cosine_ap"), TOL);
    }
}
