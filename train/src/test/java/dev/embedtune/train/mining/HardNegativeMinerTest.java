package dev.embedtune.train.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hand-made scores for one query "q" (positive p0, group "g") over six passages:
 * p1 0.95 (above the positive), p0 0.90 (the positive), p2 0.80, p3 0.70, p4 0.60 (another passage
 * of group "g"), p5 0.10.
 */
class HardNegativeMinerTest {
    static final List<String> CORPUS = List.of("p0", "p1", "p2", "p3", "p4", "p5");
    static final double[] SCORES = {0.90, 0.95, 0.80, 0.70, 0.60, 0.10};
    static final List<HardNegativeMiner.Pair> PAIRS = List.of(
            new HardNegativeMiner.Pair("q", "p0", "g"), new HardNegativeMiner.Pair("q-other", "p4", "g"));

    /** Fixed scores for "q"; "q-other" scores every passage 0 except its own positive. */
    static final class TableScorer implements Scorer {
        int lastK;

        @Override
        public List<Ranked[]> topK(List<String> queries, int k) {
            lastK = k;
            List<Ranked[]> out = new ArrayList<>();
            for (String q : queries) {
                Ranked[] all = new Ranked[CORPUS.size()];
                for (int i = 0; i < all.length; i++) {
                    all[i] = new Ranked(i, score(q, i));
                }
                Arrays.sort(all, Comparator.comparingDouble(Ranked::score).reversed());
                out.add(Arrays.copyOf(all, Math.min(k, all.length)));
            }
            return out;
        }

        @Override
        public double score(String query, int i) {
            return query.equals("q") ? SCORES[i] : i == 4 ? 1.0 : 0.0;
        }
    }

    private static List<List<String>> rowsFor(String query, MiningOptions o) {
        return HardNegativeMiner.mine(PAIRS, CORPUS, new TableScorer(), o).rows().stream()
                .filter(r -> r.get(0).equals(query)).toList();
    }

    private static MiningOptions opts(int rangeMin, Double maxScore, Double absolute, Double relative, int n,
            MiningOptions.Sampling s, MiningOptions.Format f) {
        return new MiningOptions(rangeMin, null, maxScore, null, absolute, relative, n, s, f, 7);
    }

    @Test
    void topTakesTheBestNonPositiveCandidatesWithinRangeMax() {
        // range_max = 0 + 2 + 1 (one positive) = 3; k = 3 + 1 → p1, p0, p2, p3; p0 is the positive
        TableScorer scorer = new TableScorer();
        var r = HardNegativeMiner.mine(PAIRS, CORPUS, scorer, opts(0, null, null, null, 2,
                MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET));
        assertEquals(4, scorer.lastK);
        List<List<String>> q = r.rows().stream().filter(row -> row.get(0).equals("q")).toList();
        assertEquals(List.of(List.of("q", "p0", "p1"), List.of("q", "p0", "p2")), q);
    }

    @Test
    void theQuerysGroupIsNeverANegative() {
        // with a wide range, p4 (group g) would rank before p5; it is excluded, like the positive
        var rows = rowsFor("q", new MiningOptions(0, 6, null, null, null, null, 4, MiningOptions.Sampling.TOP,
                MiningOptions.Format.TRIPLET, 1));
        assertEquals(List.of("p1", "p2", "p3", "p5"), rows.stream().map(row -> row.get(2)).toList());
        // and "q-other" (positive p4, group g) never gets p0 either
        assertTrue(rowsFor("q-other", MiningOptions.DEFAULT).stream().noneMatch(row -> row.get(2).equals("p0")));
    }

    @Test
    void marginsAndScoreLimits() {
        // absolute 0.05: drop s + 0.05 > 0.90 → p1 out; p2 (0.85) stays
        assertEquals(List.of("p2", "p3"), negatives(opts(0, null, 0.05, null, 2, MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET)));
        // relative 0.2: drop s > 0.90 − 0.18 = 0.72 → p1, p2 out
        assertEquals(List.of("p3", "p5"), negatives(opts(0, null, null, 0.2, 2, MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET)));
        // max_score 0.75: p1, p2 out
        assertEquals(List.of("p3", "p5"), negatives(opts(0, 0.75, null, null, 2, MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET)));
        // min_score 0.5 (range_max 21 from the ×10 rule is not triggered by min_score: 0 + 3 + 1 = 4)
        assertEquals(List.of("p1", "p2", "p3"), negatives(new MiningOptions(0, null, null, 0.5, null, null, 3,
                MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET, 1)));
    }

    @Test
    void rangeMinSkipsTheHardestCandidates() {
        // range_min 1, one negative: range_max = 1 + 1 + 1 = 3 → candidates p1, p2, (p3) → skip p1 → p2
        assertEquals(List.of("p2"), negatives(opts(1, null, null, null, 1, MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET)));
    }

    @Test
    void randomSamplingIsSeededAndSortedByScore() {
        MiningOptions o = new MiningOptions(0, 6, null, null, null, null, 2, MiningOptions.Sampling.RANDOM,
                MiningOptions.Format.TRIPLET, 11);
        List<String> first = negatives(o), again = negatives(o);
        assertEquals(first, again);
        assertEquals(2, first.size());
        assertTrue(List.of("p1", "p2", "p3", "p5").containsAll(first));
        assertTrue(CORPUS.indexOf(first.get(0)) != CORPUS.indexOf(first.get(1)));
        assertTrue(SCORES[CORPUS.indexOf(first.get(0))] >= SCORES[CORPUS.indexOf(first.get(1))]);
    }

    @Test
    void formats() {
        var tuple = rowsFor("q", opts(0, null, null, null, 2, MiningOptions.Sampling.TOP, MiningOptions.Format.N_TUPLE));
        assertEquals(List.of(List.of("q", "p0", "p1", "p2")), tuple);
        var labeled = rowsFor("q", opts(0, null, null, null, 2, MiningOptions.Sampling.TOP, MiningOptions.Format.LABELED_PAIR));
        assertEquals(List.of(List.of("q", "p0", "1"), List.of("q", "p1", "0"), List.of("q", "p2", "0")), labeled);
        // n-tuple with max_score 0.75 and 3 negatives: only p3, p5 remain → the query is dropped
        var r = HardNegativeMiner.mine(PAIRS, CORPUS, new TableScorer(), opts(0, 0.75, null, null, 3,
                MiningOptions.Sampling.TOP, MiningOptions.Format.N_TUPLE));
        assertTrue(r.rows().stream().noneMatch(row -> row.get(0).equals("q")));
        assertTrue(r.droppedQueries() >= 1);
        assertEquals(Map.of(2, 1, 3, 1), r.negativesPerQuery());   // q: 2, q-other: 3 (p1, p2, p3 … all 0 but p0 excluded by group)
    }

    @Test
    void impossibleRangesAreExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HardNegativeMiner.mine(PAIRS, CORPUS,
                new TableScorer(), new MiningOptions(2, 3, null, null, null, null, 2, MiningOptions.Sampling.TOP,
                        MiningOptions.Format.TRIPLET, 1)));
        assertTrue(e.getMessage().contains("cannot mine 2 negatives"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MiningOptions(0, null, null, null, null, null, 0,
                MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET, 1));
    }

    private static List<String> negatives(MiningOptions o) {
        return rowsFor("q", o).stream().map(row -> row.get(2)).toList();
    }
}
