package dev.embedtune.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MatryoshkaEvaluationTest {

    /*
     * q = (1, 0, 0, 1). Corpus: a = (1, 0, 5, 0), b = (0, 1, 0, 1); relevant: a.
     *   dim 4: cos(q, a) = 1/(√2·√26) = 0.139, cos(q, b) = 1/(√2·√2) = 0.5 → b first, a at rank 2: MRR 1/2.
     *   dim 2: q → (1, 0), a → (1, 0), b → (0, 1): cos 1 and 0 → a first: MRR 1.
     * Truncation happens before L2 normalisation; the model runs once per distinct text for both dims.
     */
    @Test
    void perDimensionKeysAndTruncationBeforeNormalisation() {
        ToyEncoder base = new ToyEncoder();
        MatryoshkaEvaluation eval = new MatryoshkaEvaluation(List.of(4, 2), name -> new InformationRetrievalEvaluator(
                Map.of("q", "1 0 0 1"), ToyEncoder.ordered("a", "1 0 5 0", "b", "0 1 0 1"), Map.of("q", Set.of("a")),
                InformationRetrievalEvaluator.Options.defaults().withName(name)));
        SequentialEvaluator.Result r = eval.evaluate(base);
        Map<String, Double> m = r.metrics();
        assertEquals(0.5, m.get("dim_4_cosine_mrr@10"), 1e-12);
        assertEquals(1.0, m.get("dim_2_cosine_mrr@10"), 1e-12);
        assertEquals((m.get("dim_4_cosine_ndcg@10") + m.get("dim_2_cosine_ndcg@10")) / 2, r.primaryScore(), 1e-12);
        assertEquals(3, base.encodedTexts, "three distinct texts, encoded once for both dimensions");
    }

    @Test
    void matryoshkaEncoderTruncatesThenNormalises() {
        float[][] e = new MatryoshkaEncoder(new ToyEncoder(), 2).encode(List.of("3 4 12"));
        assertEquals(0.6f, e[0][0], 1e-7f);
        assertEquals(0.8f, e[0][1], 1e-7f);
        IllegalArgumentException tooWide = assertThrows(IllegalArgumentException.class,
                () -> new MatryoshkaEncoder(new ToyEncoder(), 8).encode(List.of("1 2 3")));
        assertEquals("Matryoshka dimension 8 exceeds the model's embedding dimension of 3", tooWide.getMessage());
    }
}
