package dev.embedtune.train.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.embedtune.train.eval.InformationRetrievalEvaluator.Options;
import dev.embedtune.train.eval.InformationRetrievalEvaluator.ScoreKernelChoice;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Hand-computed rankings. Metric values are rational functions of ranks, so they are exact up to
 * double rounding: tolerance 1e-12.
 */
class InformationRetrievalEvaluatorTest {

    private static final double TOL = 1e-12;
    private static final double LOG2_3 = Math.log(3) / Math.log(2);
    private static final double LOG2_5 = Math.log(5) / Math.log(2);
    private static final double IDCG2 = 1 + 1 / LOG2_3; // two relevant documents: 1/log2(2) + 1/log2(3)

    /*
     * Corpus (embedding = the text):      cosine with q1=(1,0,0)   dot with q1   with q2=(0,0,1)
     *   d0 "1 0 0"                         1                         1              0
     *   d1 "3 4 0"   relevant to q1        0.6                       3              0
     *   d2 "0 1 0"                         0                         0              0
     *   d3 "1 1 0"   relevant to q1        0.7071                    1              0
     *   d4 "4 3 0"                         0.8                       4              0
     *   d5 "0 0 1"   relevant to q2        0                         0              1
     * q2 also lists "ghost", a relevant id absent from the corpus: |R(q2)| = 2 as sentence-transformers counts it.
     * q3 has no relevant document and is skipped.
     *
     * Ties rank by corpus order. Rankings:
     *   q1 cosine: d0 d4 d3 d1 d2 d5  → relevant at ranks 3, 4
     *   q1 dot:    d4 d1 d0 d3 d2 d5  → relevant at ranks 2, 4 (d0, d3 tie at 1: d0 first)
     *   q2 both:   d5 d0 d1 d2 d3 d4  → relevant at rank 1
     */
    private static InformationRetrievalEvaluator evaluator(Options options) {
        Map<String, String> queries = ToyEncoder.ordered("q1", "1 0 0", "q2", "0 0 1", "q3", "0 1 0");
        Map<String, String> corpus = ToyEncoder.ordered("d0", "1 0 0", "d1", "3 4 0", "d2", "0 1 0",
                "d3", "1 1 0", "d4", "4 3 0", "d5", "0 0 1");
        Map<String, Set<String>> relevant = Map.of("q1", Set.of("d1", "d3"), "q2", Set.of("d5", "ghost"),
                "q3", Set.of());
        return new InformationRetrievalEvaluator(queries, corpus, relevant, options);
    }

    @ParameterizedTest
    @EnumSource(ScoreKernelChoice.class)
    void cosineAndDotMetricsMatchTheHandComputation(ScoreKernelChoice kernel) {
        Options options = Options.defaults()
                .withFunctions(List.of(SimilarityFunction.COSINE, SimilarityFunction.DOT), SimilarityFunction.COSINE)
                .withBlocks(2, 4, kernel); // blocks smaller than the data: the block edges are exercised
        InformationRetrievalEvaluator.Result r = evaluator(options).evaluate(new ToyEncoder());
        Map<String, Double> m = r.metrics();
        assertEquals(2, r.queries(), "q3 has no relevant documents and is skipped");
        assertEquals("cosine_ndcg@10", r.primaryMetric());

        // accuracy@k: q1 first relevant at rank 3 (cosine) / 2 (dot), q2 at rank 1.
        assertEquals(0.5, m.get("cosine_accuracy@1"), TOL);
        assertEquals(1.0, m.get("cosine_accuracy@3"), TOL);
        assertEquals(1.0, m.get("cosine_accuracy@10"), TOL);
        assertEquals(0.5, m.get("dot_accuracy@1"), TOL);
        // precision@k = hits/k, averaged: @3 q1 1/3, q2 1/3; @5 q1 2/5, q2 1/5; @10 q1 2/10, q2 1/10.
        assertEquals(0.5, m.get("cosine_precision@1"), TOL);
        assertEquals(1.0 / 3, m.get("cosine_precision@3"), TOL);
        assertEquals(0.3, m.get("cosine_precision@5"), TOL);
        assertEquals(0.15, m.get("cosine_precision@10"), TOL);
        assertEquals(0.15, m.get("dot_precision@10"), TOL);
        // recall@k = hits/|R|: @1 q1 0, q2 1/2; @3 q1 1/2 (rank 3), q2 1/2; @5 q1 1, q2 1/2.
        assertEquals(0.25, m.get("cosine_recall@1"), TOL);
        assertEquals(0.5, m.get("cosine_recall@3"), TOL);
        assertEquals(0.75, m.get("cosine_recall@5"), TOL);
        assertEquals(0.5, m.get("dot_recall@3"), TOL); // dot: q1 hit at rank 2 only within top 3
        // MRR@10: cosine (1/3 + 1)/2; dot (1/2 + 1)/2.
        assertEquals(2.0 / 3, m.get("cosine_mrr@10"), TOL);
        assertEquals(0.75, m.get("dot_mrr@10"), TOL);
        // NDCG@10: q1 cosine (1/log2 4 + 1/log2 5)/IDCG2; q1 dot (1/log2 3 + 1/log2 5)/IDCG2;
        // q2: 1/IDCG2 (|R| = 2 counts the absent "ghost", so the ideal has two hits).
        assertEquals(((0.5 + 1 / LOG2_5) / IDCG2 + 1 / IDCG2) / 2, m.get("cosine_ndcg@10"), TOL);
        assertEquals(((1 / LOG2_3 + 1 / LOG2_5) / IDCG2 + 1 / IDCG2) / 2, m.get("dot_ndcg@10"), TOL);
        // MAP@100: q1 cosine (1/3 + 2/4)/min(100, 2) = 5/12, q2 (1/1)/2 = 1/2; dot q1 (1/2 + 2/4)/2 = 1/2.
        assertEquals((5.0 / 12 + 0.5) / 2, m.get("cosine_map@100"), TOL);
        assertEquals(0.5, m.get("dot_map@100"), TOL);
        assertEquals(2 * 15, m.size(), "15 metrics per function: 4 accuracy, 4 precision, 4 recall, ndcg, mrr, map "
                + m.keySet());
    }

    @Test
    void keysFollowSentenceTransformersOrderAndNamePrefix() {
        InformationRetrievalEvaluator.Result r = evaluator(Options.defaults().withName("dim_3")
                .withBlocks(256, 4096, ScoreKernelChoice.JAVA)).evaluate(new ToyEncoder());
        assertEquals(List.of("dim_3_cosine_accuracy@1", "dim_3_cosine_accuracy@3", "dim_3_cosine_accuracy@5",
                "dim_3_cosine_accuracy@10", "dim_3_cosine_precision@1", "dim_3_cosine_precision@3",
                "dim_3_cosine_precision@5", "dim_3_cosine_precision@10", "dim_3_cosine_recall@1",
                "dim_3_cosine_recall@3", "dim_3_cosine_recall@5", "dim_3_cosine_recall@10", "dim_3_cosine_ndcg@10",
                "dim_3_cosine_mrr@10", "dim_3_cosine_map@100"), List.copyOf(r.metrics().keySet()));
        assertEquals("dim_3_cosine_ndcg@10", r.primaryMetric());
        assertEquals(r.metrics().get("dim_3_cosine_ndcg@10"), r.primaryScore(), 0.0);
    }

    @ParameterizedTest
    @EnumSource(ScoreKernelChoice.class)
    void tiesRankByCorpusOrderWhateverTheBlocks(ScoreKernelChoice kernel) {
        // Five identical documents: all score 1. Ranked c0 c1 c2 c3 c4, so relevant c3 sits at rank 4:
        // MRR@10 = 1/4, accuracy@3 = 0, NDCG@10 = (1/log2 5)/1.
        Map<String, String> corpus = ToyEncoder.ordered("c0", "1 1", "c1", "1 1", "c2", "1 1", "c3", "1 1", "c4", "1 1");
        for (int corpusBlock : new int[] {1, 2, 3, 5, 64}) {
            InformationRetrievalEvaluator e = new InformationRetrievalEvaluator(ToyEncoder.ordered("q", "2 2"), corpus,
                    Map.of("q", Set.of("c3")), Options.defaults().withBlocks(1, corpusBlock, kernel));
            Map<String, Double> m = e.evaluate(new ToyEncoder()).metrics();
            assertEquals(0.25, m.get("cosine_mrr@10"), TOL, "corpus block " + corpusBlock);
            assertEquals(0.0, m.get("cosine_accuracy@3"), TOL, "corpus block " + corpusBlock);
            assertEquals(1 / LOG2_5, m.get("cosine_ndcg@10"), TOL, "corpus block " + corpusBlock);
        }
    }

    @Test
    void topKKeepsTheBestWithTiesByIndex() {
        TopK top = new TopK(3);
        float[] scores = {0.5f, 0.9f, 0.5f, 0.1f, 0.9f, 0.5f, 0.95f};
        for (int i = 0; i < scores.length; i++) {
            top.offer(scores[i], i);
        }
        // Best three: 6 (0.95), then 1 and 4 tied at 0.9 in index order.
        assertArrayEquals(new int[] {6, 1, 4}, top.ranked());
        TopK tiesOnly = new TopK(2);
        for (int i = 0; i < 5; i++) {
            tiesOnly.offer(1f, i);
        }
        assertArrayEquals(new int[] {0, 1}, tiesOnly.ranked());
    }

    @Test
    void nd4jKernelAgreesWithThePlainLoops() {
        java.util.Random random = new java.util.Random(7);
        float[][] q = new float[37][24];
        float[][] c = new float[53][24];
        for (float[][] m : List.of(q, c)) {
            for (float[] row : m) {
                for (int d = 0; d < row.length; d++) {
                    row[d] = (float) random.nextGaussian();
                }
            }
        }
        float[] javaOut = new float[37 * 53];
        float[] nd4jOut = new float[37 * 53];
        ScoreKernel.JAVA.scores(ScoreKernel.JAVA.prepare(q, 0, 37), ScoreKernel.JAVA.prepare(c, 0, 53), javaOut);
        ScoreKernel.ND4J.scores(ScoreKernel.ND4J.prepare(q, 0, 37), ScoreKernel.ND4J.prepare(c, 0, 53), nd4jOut);
        // float32 sums of 24 products of N(0,1) values: both roundings stay within 1e-5 of each other.
        for (int i = 0; i < javaOut.length; i++) {
            assertEquals(javaOut[i], nd4jOut[i], 1e-5, "score " + i);
        }
    }

    @Test
    void rejectsAnEvaluationWithoutRelevantDocuments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new InformationRetrievalEvaluator(Map.of("q", "1"), Map.of("d", "1"), Map.of(), Options.defaults()));
        assertEquals("no query has a relevant document: nothing to evaluate", e.getMessage());
    }
}
