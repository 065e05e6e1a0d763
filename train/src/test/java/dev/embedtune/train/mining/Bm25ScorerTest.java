package dev.embedtune.train.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lucene's BM25 (k1 1.2, b 0.75) against the formula worked by hand:
 * score = idf · f / (f + k1 · (1 − b + b · dl / avgdl)), idf = ln(1 + (N − n + 0.5) / (n + 0.5)).
 */
class Bm25ScorerTest {

    @Test
    void scoresFollowTheBm25Formula() {
        Bm25Scorer bm25 = new Bm25Scorer(List.of("apple banana", "apple apple cherry", "cherry date elderberry fig"));
        // N = 3, n("apple") = 2 → idf = ln(1.6); avgdl = (2 + 3 + 4) / 3 = 3
        double idf = Math.log(1.6);
        double doc0 = idf * 1 / (1 + 1.2 * (0.25 + 0.75 * 2 / 3.0));   // f 1, dl 2 → 0.2473709
        double doc1 = idf * 2 / (2 + 1.2 * (0.25 + 0.75 * 3 / 3.0));   // f 2, dl 3 → 0.2937525
        List<Scorer.Ranked[]> top = bm25.topK(List.of("Apple!"), 3);   // analysed: lower case, punctuation dropped
        assertEquals(2, top.get(0).length, "the third document has no 'apple'");
        assertEquals(1, top.get(0)[0].index());
        assertEquals(doc1, top.get(0)[0].score(), 1e-6);   // Lucene scores in float
        assertEquals(0, top.get(0)[1].index());
        assertEquals(doc0, top.get(0)[1].score(), 1e-6);
        assertEquals(doc0, bm25.score("apple", 0), 1e-6);
        assertEquals(0.0, bm25.score("apple", 2), 0.0);
    }

    @Test
    void anyTextIsAValidQuery() {
        Bm25Scorer bm25 = new Bm25Scorer(List.of("a (b) [c]", "AND OR NOT"));
        assertEquals(1, bm25.topK(List.of("\"unbalanced ( quotes * ?"), 2).size());
        assertEquals(0, bm25.topK(List.of(""), 2).get(0).length);
    }
}
