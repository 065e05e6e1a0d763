package dev.embedtune.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every loss against sentence-transformers' own code: {@code st-reference.json} holds inputs, loss
 * values and PyTorch-autograd embedding gradients computed in float64 by the unmodified loss modules
 * of sentence-transformers (commit recorded in the file), written by {@code tools/st_loss_reference.py}.
 *
 * <p>Tolerance, float64: |loss - reference| &lt;= 1e-12 * (1 + |reference|) and, for every gradient
 * entry, |g - reference| &lt;= 1e-12 * (1 + max|reference gradient|). Only summation order differs.
 */
class SentenceTransformersReferenceTest {

    private static final double TOL = 1e-12;

    /** The loss configured as in the case's "java" field; the Python side is the same configuration of sentence-transformers. */
    private static EmbeddingLoss lossFor(String name) {
        return switch (name) {
            case "mnrl_pairs", "mnrl_two_negatives" -> new MultipleNegativesRankingLoss();
            case "mnrl_scale_3" -> new MultipleNegativesRankingLoss(3.0);
            case "mnsrl_pairs" -> new MultipleNegativesSymmetricRankingLoss();
            case "mnsrl_negative" -> new MultipleNegativesSymmetricRankingLoss(3.0);
            case "cosent" -> new CoSENTLoss();
            case "cosent_scale_2" -> new CoSENTLoss(2.0);
            case "angle_even", "angle_ntuple", "angle_ntuple_labels" -> new AnglELoss();
            case "angle_odd_scale_2" -> new AnglELoss(2.0);
            case "triplet_euclidean" -> new TripletLoss();
            case "triplet_euclidean_margin_1" -> new TripletLoss(TripletDistanceMetric.EUCLIDEAN, 1.0);
            case "triplet_cosine" -> new TripletLoss(TripletDistanceMetric.COSINE, 0.3);
            case "triplet_manhattan" -> new TripletLoss(TripletDistanceMetric.MANHATTAN, 2.0);
            case "contrastive" -> new ContrastiveLoss();
            case "contrastive_cosine_margin_1_sum" -> new ContrastiveLoss(SiameseDistanceMetric.COSINE_DISTANCE, 1.0, false);
            case "contrastive_euclidean" -> new ContrastiveLoss(SiameseDistanceMetric.EUCLIDEAN, 3.0, true);
            case "contrastive_manhattan" -> new ContrastiveLoss(SiameseDistanceMetric.MANHATTAN, 4.0, true);
            case "online_contrastive" -> new OnlineContrastiveLoss();
            case "online_contrastive_margin_1" -> new OnlineContrastiveLoss(SiameseDistanceMetric.COSINE_DISTANCE, 1.0);
            case "online_contrastive_euclidean" -> new OnlineContrastiveLoss(SiameseDistanceMetric.EUCLIDEAN, 2.5);
            case "matryoshka_mnrl" -> new MatryoshkaLoss(new MultipleNegativesRankingLoss(), 8, new int[] {8, 4, 2}, new double[] {1, 0.5, 2}, -1, 0);
            case "matryoshka_triplet" -> new MatryoshkaLoss(new TripletLoss(TripletDistanceMetric.EUCLIDEAN, 1.0), 6, 3, 6);
            case "matryoshka_cosent_partial" -> new MatryoshkaLoss(new CoSENTLoss(), 8, new int[] {4, 2}, new double[] {1, 3}, -1, 0);
            default -> throw new IllegalArgumentException("st-reference.json: no Java configuration for case '" + name + "'");
        };
    }

    private static INDArray matrix(JsonNode rows) {
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            out[i] = new double[row.size()];
            for (int j = 0; j < row.size(); j++) {
                out[i][j] = row.get(j).asDouble();
            }
        }
        return Nd4j.createFromArray(out);
    }

    @TestFactory
    Stream<DynamicTest> matchesSentenceTransformers() throws IOException {
        JsonNode doc;
        try (InputStream in = getClass().getResourceAsStream("st-reference.json")) {
            assertNotNull(in, "test resource dev/embedtune/train/loss/st-reference.json is missing");
            doc = new ObjectMapper().readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        Set<String> lossClasses = new HashSet<>();
        for (JsonNode c : doc.get("cases")) {
            String name = c.get("name").asText();
            EmbeddingLoss loss = lossFor(name);
            lossClasses.add(loss instanceof MatryoshkaLoss ? "Matryoshka" : loss.getClass().getSimpleName());
            tests.add(DynamicTest.dynamicTest(name + " = " + c.get("java").asText(), () -> {
                List<INDArray> columns = new ArrayList<>();
                for (JsonNode col : c.get("columns")) {
                    columns.add(matrix(col));
                }
                INDArray labels = null;
                if (!c.get("labels").isNull()) {
                    double[] l = new double[c.get("labels").size()];
                    for (int i = 0; i < l.length; i++) {
                        l[i] = c.get("labels").get(i).asDouble();
                    }
                    labels = Nd4j.createFromArray(l);
                }
                LossValue value = loss.compute(new EmbeddingBatch(columns, labels));
                double expected = c.get("loss").asDouble();
                assertEquals(expected, value.loss(), TOL * (1 + Math.abs(expected)), name + ": loss");
                for (int k = 0; k < columns.size(); k++) {
                    INDArray reference = matrix(c.get("gradients").get(k));
                    double bound = TOL * (1 + reference.amaxNumber().doubleValue());
                    double diff = value.gradient(k).sub(reference).amaxNumber().doubleValue();
                    assertTrue(diff <= bound, name + ": gradient of column " + k + " differs by " + diff + " > " + bound);
                }
            }));
        }
        assertEquals(8, lossClasses.size(), "cases cover all 9 losses but the cached one (checked against MNRL): " + lossClasses);
        return tests.stream();
    }
}
