package dev.embedtune.train.eval;

import java.util.List;

/**
 * The cut-offs an {@link InformationRetrievalEvaluator} reports, sentence-transformers' defaults
 * being accuracy@{1,3,5,10}, precision/recall@{1,3,5,10}, MRR@10, NDCG@10 and MAP@100.
 */
public record RetrievalCutoffs(List<Integer> accuracyAtK, List<Integer> precisionRecallAtK, List<Integer> mrrAtK,
        List<Integer> ndcgAtK, List<Integer> mapAtK) {

    public static final RetrievalCutoffs DEFAULT = new RetrievalCutoffs(List.of(1, 3, 5, 10), List.of(1, 3, 5, 10),
            List.of(10), List.of(10), List.of(100));

    public RetrievalCutoffs {
        accuracyAtK = check("accuracy", accuracyAtK);
        precisionRecallAtK = check("precision/recall", precisionRecallAtK);
        mrrAtK = check("mrr", mrrAtK);
        ndcgAtK = check("ndcg", ndcgAtK);
        mapAtK = check("map", mapAtK);
    }

    private static List<Integer> check(String what, List<Integer> ks) {
        if (ks.isEmpty()) {
            throw new IllegalArgumentException(what + "@k needs at least one k");
        }
        for (int k : ks) {
            if (k < 1) {
                throw new IllegalArgumentException(what + "@k: k must be at least 1, got " + k);
            }
        }
        return List.copyOf(ks);
    }

    /** The deepest cut-off: how many hits per query must be kept. */
    public int maxK() {
        int m = 0;
        for (List<Integer> ks : List.of(accuracyAtK, precisionRecallAtK, mrrAtK, ndcgAtK, mapAtK)) {
            for (int k : ks) {
                m = Math.max(m, k);
            }
        }
        return m;
    }

    /** The largest NDCG cut-off, which names the primary metric. */
    public int maxNdcgK() {
        return ndcgAtK.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }
}
