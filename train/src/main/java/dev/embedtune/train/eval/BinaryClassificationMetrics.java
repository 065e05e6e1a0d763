package dev.embedtune.train.eval;

import java.util.Arrays;

/**
 * The metrics of a binary classifier that predicts "similar" when a score reaches a threshold,
 * following sentence-transformers' {@code BinaryClassificationEvaluator} (threshold searches) and
 * scikit-learn ({@code average_precision_score}, {@code matthews_corrcoef}). Larger scores mean
 * "more likely label 1".
 *
 * @param accuracy the best accuracy over thresholds
 * @param accuracyThreshold the midpoint between the last score predicted 1 and the next one
 * @param f1 the best F1 over thresholds
 * @param f1Threshold the threshold of the best F1 (midpoint as above)
 * @param precision the precision at the best F1
 * @param recall the recall at the best F1
 * @param averagePrecision scikit-learn's AP: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over distinct score thresholds, high to low
 * @param mcc Matthews correlation of the predictions score ≥ {@code f1Threshold} (0 when undefined)
 */
public record BinaryClassificationMetrics(double accuracy, double accuracyThreshold, double f1, double f1Threshold,
        double precision, double recall, double averagePrecision, double mcc) {

    /** Computes all metrics; {@code labels} are 0/1 and at least one is 1. */
    public static BinaryClassificationMetrics of(double[] scores, int[] labels) {
        if (scores.length != labels.length || scores.length < 2) {
            throw new IllegalArgumentException("need >= 2 scores with one label each, got " + scores.length
                    + " scores and " + labels.length + " labels");
        }
        int positives = 0;
        for (int l : labels) {
            if (l != 0 && l != 1) {
                throw new IllegalArgumentException("labels must be 0 or 1, found " + l);
            }
            positives += l;
        }
        if (positives == 0) {
            throw new IllegalArgumentException("average precision and F1 need at least one label 1");
        }
        double[] acc = bestAccuracy(scores, labels);
        double[] f1 = bestF1(scores, labels);
        return new BinaryClassificationMetrics(acc[0], acc[1], f1[0], f1[3], f1[1], f1[2],
                averagePrecision(scores, labels), mcc(scores, labels, f1[3]));
    }

    /**
     * Indices sorted by score, highest first; equal scores keep input order (Python's stable
     * {@code sorted(…, reverse=True)} does the same).
     */
    private static Integer[] descending(double[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        return order;
    }

    /**
     * Walks the rows high to low; after row i, rows 0…i are predicted 1. Accuracy = (positives so
     * far + negatives remaining) / n; a strictly better accuracy records the threshold
     * (score[i] + score[i+1]) / 2. The last row is never a cut (all predicted 1). Starts at accuracy 0,
     * threshold −1.
     *
     * @return {accuracy, threshold}
     */
    public static double[] bestAccuracy(double[] scores, int[] labels) {
        Integer[] rows = descending(scores);
        int negativesRemaining = 0;
        for (int l : labels) {
            negativesRemaining += 1 - l;
        }
        double best = 0, threshold = -1;
        int positivesSoFar = 0;
        for (int i = 0; i < rows.length - 1; i++) {
            if (labels[rows[i]] == 1) {
                positivesSoFar++;
            } else {
                negativesRemaining--;
            }
            double acc = (double) (positivesSoFar + negativesRemaining) / labels.length;
            if (acc > best) {
                best = acc;
                threshold = (scores[rows[i]] + scores[rows[i + 1]]) / 2;
            }
        }
        return new double[] {best, threshold};
    }

    /**
     * The same walk for F1: after row i, precision = correct / (i+1), recall = correct / positives;
     * a strictly better F1 records precision, recall and the midpoint threshold. Starts at 0, threshold 0.
     *
     * @return {f1, precision, recall, threshold}
     */
    public static double[] bestF1(double[] scores, int[] labels) {
        Integer[] rows = descending(scores);
        int positives = 0;
        for (int l : labels) {
            positives += l;
        }
        double bestF1 = 0, bestP = 0, bestR = 0, threshold = 0;
        int correct = 0;
        for (int i = 0; i < rows.length - 1; i++) {
            if (labels[rows[i]] == 1) {
                correct++;
            }
            if (correct > 0) {
                double p = (double) correct / (i + 1);
                double r = (double) correct / positives;
                double f1 = 2 * p * r / (p + r);
                if (f1 > bestF1) {
                    bestF1 = f1;
                    bestP = p;
                    bestR = r;
                    threshold = (scores[rows[i]] + scores[rows[i + 1]]) / 2;
                }
            }
        }
        return new double[] {bestF1, bestP, bestR, threshold};
    }

    /** scikit-learn's average precision; tied scores form one threshold (one step of the curve). */
    public static double averagePrecision(double[] scores, int[] labels) {
        Integer[] rows = descending(scores);
        int positives = 0;
        for (int l : labels) {
            positives += l;
        }
        double ap = 0, previousRecall = 0;
        int tp = 0, seen = 0;
        int i = 0;
        while (i < rows.length) {
            double s = scores[rows[i]];
            while (i < rows.length && scores[rows[i]] == s) {
                tp += labels[rows[i]];
                seen++;
                i++;
            }
            double recall = (double) tp / positives;
            double precision = (double) tp / seen;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
        }
        return ap;
    }

    /** Matthews correlation of predicting 1 when score ≥ threshold; 0 when a marginal is empty (as scikit-learn). */
    public static double mcc(double[] scores, int[] labels, double threshold) {
        long tp = 0, tn = 0, fp = 0, fn = 0;
        for (int i = 0; i < scores.length; i++) {
            boolean predicted = scores[i] >= threshold;
            if (predicted && labels[i] == 1) {
                tp++;
            } else if (predicted) {
                fp++;
            } else if (labels[i] == 1) {
                fn++;
            } else {
                tn++;
            }
        }
        double denominator = Math.sqrt((double) (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
        return denominator == 0 ? 0 : (tp * tn - fp * fn) / denominator;
    }
}
