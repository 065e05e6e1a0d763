package dev.embedtune.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplersTest {

    private static void assertEachIndexOnce(List<int[]> batches, int n) {
        boolean[] seen = new boolean[n];
        int total = 0;
        for (int[] b : batches) {
            for (int i : b) {
                assertFalse(seen[i], "index " + i + " appears twice in the epoch");
                seen[i] = true;
                total++;
            }
        }
        assertEquals(n, total, "every example exactly once");
    }

    private static void assertSameBatches(List<int[]> a, List<int[]> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), "batch " + i);
        }
    }

    @Test
    void shuffledCoversEveryIndexAndIsSeeded() {
        ShuffledBatchSampler s = new ShuffledBatchSampler(103, 10, 42, false);
        List<int[]> e0 = s.batches(0);
        assertEquals(11, e0.size());
        assertEquals(3, e0.get(10).length);
        assertEachIndexOnce(e0, 103);
        assertSameBatches(e0, new ShuffledBatchSampler(103, 10, 42, false).batches(0));
        assertFalse(java.util.Arrays.equals(e0.get(0), s.batches(1).get(0)), "another epoch, another order");
        assertEquals(10, new ShuffledBatchSampler(103, 10, 42, true).batches(0).size(), "dropLast");
    }

    /** 100k pairs: positives repeat (each of 20k passages 5 times) and 1,000 anchors repeat 3 times. */
    private static List<Example> synthetic(int n) {
        List<Example> out = new ArrayList<>(n);
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < n; i++) {
            String anchor = i % 100 < 1 ? "common anchor " + (i % 1000) : "anchor " + i;
            out.add(Example.pair(anchor, "passage " + r.nextInt(n / 5)));
        }
        return out;
    }

    @Test
    void noDuplicatesHasNoRepeatedTextInABatchCoversAllAndStaysLinear() {
        int n = 100_000;
        List<Example> data = synthetic(n);
        NoDuplicatesBatchSampler s = new NoDuplicatesBatchSampler(data, 64, 7, false);
        List<int[]> batches = s.batches(0);
        assertEachIndexOnce(batches, n);
        for (int[] b : batches) {
            Set<String> texts = new HashSet<>();
            for (int i : b) {
                for (String t : data.get(i).texts()) {
                    assertTrue(texts.add(t), "text '" + t + "' twice in a batch");
                }
            }
        }
        int full = 0;
        for (int[] b : batches) {
            full += b.length == 64 ? 1 : 0;
        }
        assertTrue(full >= n / 64 - 5, "almost every batch is full: " + full + " of " + batches.size());
        // Complexity by counting: a quadratic rescan would make ~n²/batch = 1.6e8 probes; first fit makes
        // about one per example plus a few for conflicts. Bound: 3 probes per example.
        assertTrue(s.lastProbeCount() <= 3L * n, "probes " + s.lastProbeCount() + " for " + n + " examples");
        assertSameBatches(batches, new NoDuplicatesBatchSampler(data, 64, 7, false).batches(0));
    }

    @Test
    void noDuplicatesSeparatesASharedPositive() {
        // Four pairs share positive "p": they must land in four different batches.
        List<Example> data = List.of(Example.pair("a", "p"), Example.pair("b", "p"), Example.pair("c", "p"),
                Example.pair("d", "p"), Example.pair("e", "q"), Example.pair("f", "r"));
        List<int[]> batches = new NoDuplicatesBatchSampler(data, 2, 3, false).batches(0);
        assertEachIndexOnce(batches, 6);
        for (int[] b : batches) {
            int withP = 0;
            for (int i : b) {
                withP += data.get(i).positive().equals("p") ? 1 : 0;
            }
            assertTrue(withP <= 1);
        }
    }

    @Test
    void groupByLabelMakesRunsOfOneKey() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            keys.add("k" + (i % 7)); // 7 keys of 5 or 6 examples
        }
        keys.add("lonely");
        GroupByLabelBatchSampler s = new GroupByLabelBatchSampler(keys, 8, 2, 11, false);
        List<int[]> batches = s.batches(0);
        int placed = 0;
        for (int[] b : batches) {
            assertEquals(0, b.length % 2);
            for (int j = 0; j < b.length; j += 2) {
                assertEquals(keys.get(b[j]), keys.get(b[j + 1]), "a run shares its key");
                assertFalse(keys.get(b[j]).equals("lonely"), "a key with one example cannot form a run");
            }
            placed += b.length;
        }
        // k0…k4 have 6 examples (3 runs), k5, k6 have 5 (2 runs, one sits out): 5·6 + 2·4 = 38.
        assertEquals(38, placed);
        assertSameBatches(batches, new GroupByLabelBatchSampler(keys, 8, 2, 11, false).batches(0));
    }

    @Test
    void multiDatasetProportionalAndRoundRobin() {
        BatchSampler big = new ShuffledBatchSampler(50, 10, 1, false); // 5 batches
        BatchSampler small = new ShuffledBatchSampler(20, 10, 1, false); // 2 batches
        List<MultiDatasetSampler.DatasetBatch> prop =
                new MultiDatasetSampler(List.of(big, small), MultiDatasetSampler.Mode.PROPORTIONAL, 5).batches(0);
        assertEquals(7, prop.size());
        assertEquals(5, prop.stream().filter(b -> b.dataset() == 0).count());
        List<MultiDatasetSampler.DatasetBatch> rr =
                new MultiDatasetSampler(List.of(big, small), MultiDatasetSampler.Mode.ROUND_ROBIN, 5).batches(0);
        assertEquals(List.of(0, 1, 0, 1), rr.stream().map(MultiDatasetSampler.DatasetBatch::dataset).toList());
    }

    @Test
    void qualityFilterReportsEachRule() {
        Dataset d = new Dataset("toy", ExampleFormat.PAIR, List.of(
                Example.pair("ok query", "a passage that is long enough"),
                Example.pair("x", "a passage that is long enough"), // anchor too short
                Example.pair("fine query", "short"), // positive too short
                Example.pair("kung-fu", "expert kung-fu practice of a skill"), // anchor verbatim in positive
                Example.pair("y", "z"))); // anchor too short (first rule wins)
        QualityFilter.Result r = new QualityFilter(2, 10, true).apply(d);
        assertEquals(List.of("ok query"), r.kept().examples().stream().map(Example::anchor).toList());
        assertEquals(2, r.dropped().get(QualityFilter.Rule.ANCHOR_TOO_SHORT));
        assertEquals(1, r.dropped().get(QualityFilter.Rule.POSITIVE_TOO_SHORT));
        assertEquals(1, r.dropped().get(QualityFilter.Rule.ANCHOR_IN_POSITIVE));
        assertEquals("kept 1 of 5; dropped anchor_too_short=2 positive_too_short=1 anchor_in_positive=1", r.summary());
        assertEquals(5, new QualityFilter(0, 0, false).apply(d).kept().size(), "with every rule disabled all are kept");
    }
}
