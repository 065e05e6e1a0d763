package dev.embedtune.train.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The retrieval metrics of one similarity function, averaged over queries, exactly as
 * sentence-transformers' {@code InformationRetrievalEvaluator.compute_metrics} defines them. For a
 * query with ranked hits h₁ … and relevant set R (|R| counts relevant ids even if absent from the corpus):
 * <ul>
 *   <li>accuracy@k = 1 if some hᵢ, i ≤ k, is relevant, else 0;</li>
 *   <li>precision@k = (relevant among h₁…h_k) / k — divided by k even when fewer than k hits exist;</li>
 *   <li>recall@k = (relevant among h₁…h_k) / |R|;</li>
 *   <li>MRR@k = 1 / rank of the first relevant hit within the top k, 0 if none;</li>
 *   <li>NDCG@k = DCG / IDCG with binary gains and discount 1/log₂(i+1): DCG = Σ_{i≤k, hᵢ∈R} 1/log₂(i+1),
 *       IDCG = Σ_{i ≤ min(k, |R|)} 1/log₂(i+1);</li>
 *   <li>MAP@k = (Σ over relevant hᵢ, i ≤ k, of precision@i) / min(k, |R|).</li>
 * </ul>
 *
 * @param accuracyAtK k → mean accuracy@k
 * @param precisionAtK k → mean precision@k
 * @param recallAtK k → mean recall@k
 * @param ndcgAtK k → mean NDCG@k
 * @param mrrAtK k → mean MRR@k
 * @param mapAtK k → mean MAP@k
 */
public record RetrievalMetrics(Map<Integer, Double> accuracyAtK, Map<Integer, Double> precisionAtK,
        Map<Integer, Double> recallAtK, Map<Integer, Double> ndcgAtK, Map<Integer, Double> mrrAtK,
        Map<Integer, Double> mapAtK) {

    /**
     * Computes the metrics from rankings.
     *
     * @param rankings per query, corpus indices best first (at least {@code cutoffs.maxK()} when the corpus allows)
     * @param relevant per query, the relevant corpus indices
     * @param relevantCounts per query, |R| (at least 1; may exceed {@code relevant.get(q).size()}
     *     when relevant ids are missing from the corpus, as sentence-transformers counts them)
     */
    public static RetrievalMetrics compute(List<int[]> rankings, List<Set<Integer>> relevant, int[] relevantCounts,
            RetrievalCutoffs cutoffs) {
        int queries = rankings.size();
        if (relevant.size() != queries || relevantCounts.length != queries) {
            throw new IllegalArgumentException("rankings for " + queries + " queries but relevance for "
                    + relevant.size() + " / " + relevantCounts.length);
        }
        if (queries == 0) {
            throw new IllegalArgumentException("no queries with relevant documents to evaluate");
        }
        Map<Integer, Double> acc = zeros(cutoffs.accuracyAtK());
        Map<Integer, Double> prec = zeros(cutoffs.precisionRecallAtK());
        Map<Integer, Double> rec = zeros(cutoffs.precisionRecallAtK());
        Map<Integer, Double> ndcg = zeros(cutoffs.ndcgAtK());
        Map<Integer, Double> mrr = zeros(cutoffs.mrrAtK());
        Map<Integer, Double> map = zeros(cutoffs.mapAtK());
        for (int q = 0; q < queries; q++) {
            int[] hits = rankings.get(q);
            Set<Integer> rel = relevant.get(q);
            int nRel = relevantCounts[q];
            if (nRel < 1) {
                throw new IllegalArgumentException("query " + q + " has no relevant documents");
            }
            for (int k : cutoffs.accuracyAtK()) {
                for (int i = 0; i < Math.min(k, hits.length); i++) {
                    if (rel.contains(hits[i])) {
                        acc.merge(k, 1.0, Double::sum);
                        break;
                    }
                }
            }
            for (int k : cutoffs.precisionRecallAtK()) {
                int correct = countRelevant(hits, rel, k);
                prec.merge(k, (double) correct / k, Double::sum);
                rec.merge(k, (double) correct / nRel, Double::sum);
            }
            for (int k : cutoffs.mrrAtK()) {
                for (int i = 0; i < Math.min(k, hits.length); i++) {
                    if (rel.contains(hits[i])) {
                        mrr.merge(k, 1.0 / (i + 1), Double::sum);
                        break;
                    }
                }
            }
            for (int k : cutoffs.ndcgAtK()) {
                double dcg = 0;
                for (int i = 0; i < Math.min(k, hits.length); i++) {
                    if (rel.contains(hits[i])) {
                        dcg += 1.0 / log2(i + 2);
                    }
                }
                double idcg = 0;
                for (int i = 0; i < Math.min(k, nRel); i++) {
                    idcg += 1.0 / log2(i + 2);
                }
                ndcg.merge(k, dcg / idcg, Double::sum);
            }
            for (int k : cutoffs.mapAtK()) {
                int correct = 0;
                double sumPrecisions = 0;
                for (int i = 0; i < Math.min(k, hits.length); i++) {
                    if (rel.contains(hits[i])) {
                        correct++;
                        sumPrecisions += (double) correct / (i + 1);
                    }
                }
                map.merge(k, sumPrecisions / Math.min(k, nRel), Double::sum);
            }
        }
        for (Map<Integer, Double> m : List.of(acc, prec, rec, ndcg, mrr, map)) {
            m.replaceAll((k, sum) -> sum / queries);
        }
        return new RetrievalMetrics(acc, prec, rec, ndcg, mrr, map);
    }

    private static int countRelevant(int[] hits, Set<Integer> rel, int k) {
        int n = 0;
        for (int i = 0; i < Math.min(k, hits.length); i++) {
            if (rel.contains(hits[i])) {
                n++;
            }
        }
        return n;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    private static Map<Integer, Double> zeros(List<Integer> ks) {
        Map<Integer, Double> m = new LinkedHashMap<>();
        for (int k : ks) {
            m.put(k, 0.0);
        }
        return m;
    }

    /**
     * The metrics under sentence-transformers' keys, e.g. {@code cosine_accuracy@1}, in its order:
     * accuracy, precision, recall, ndcg, mrr, map.
     */
    public Map<String, Double> asMap(String function) {
        Map<String, Double> out = new LinkedHashMap<>();
        accuracyAtK.forEach((k, v) -> out.put(function + "_accuracy@" + k, v));
        precisionAtK.forEach((k, v) -> out.put(function + "_precision@" + k, v));
        recallAtK.forEach((k, v) -> out.put(function + "_recall@" + k, v));
        ndcgAtK.forEach((k, v) -> out.put(function + "_ndcg@" + k, v));
        mrrAtK.forEach((k, v) -> out.put(function + "_mrr@" + k, v));
        mapAtK.forEach((k, v) -> out.put(function + "_map@" + k, v));
        return out;
    }
}
