package dev.embedtune.spark;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.train.mining.DenseScorer;
import dev.embedtune.train.mining.Scorer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * {@link DenseScorer} with the corpus split across executors, for {@link dev.embedtune.train.mining.HardNegativeMiner}:
 * each shard keeps its corpus embeddings (cached by Spark) and runs the local {@link DenseScorer} over
 * them (blocked matrix products, a heap per query); the driver merges the shards' top-k in the local
 * scorer's order (higher score, then lower corpus index) and answers {@link #score} for the positives
 * with a {@link DenseScorer} over their rows.
 *
 * <p>Identical to the local scorer on the same corpus and model: the local scorer embeds the corpus in
 * one {@link Embedder#encode} call, which sorts the texts longest first and cuts batches; here the
 * driver makes the same order and batches and each batch is one {@code encode} call on an executor,
 * so every text is embedded in the batch it is embedded in locally. Queries go in the local scorer's
 * blocks of {@code queryBlock}, one call each.
 */
public final class SparkDenseScorer implements Scorer, AutoCloseable {

    /** One encode call of the local scorer's corpus order: global indices and their texts. */
    record Batch(int[] indices, List<String> texts) implements Serializable {
    }

    /** A shard of the corpus: its global indices (increasing), texts and embeddings. */
    record Shard(int[] indices, List<String> texts, float[][] rows) implements Serializable {
    }

    private final JavaSparkContext sc;
    private final ModelSpec model;
    private final int queryBlock;
    private final int partitions;
    private final JavaRDD<Shard> shards;
    private final Map<String, float[]> queryCache = new HashMap<>();
    private final DenseScorer positives;
    private final Map<Integer, Integer> positiveSlot = new HashMap<>();

    /**
     * @param corpus     the corpus, distinct texts (as {@link dev.embedtune.train.mining.HardNegativeMiner#corpusWithPositives} builds it)
     * @param positives  corpus indices {@link #score} will be asked about (the pairs' positives)
     * @param partitions corpus shards
     */
    public SparkDenseScorer(JavaSparkContext sc, ModelSpec model, List<String> corpus, Set<Integer> positives,
            int queryBlock, int partitions) {
        this.sc = sc;
        this.model = model;
        this.queryBlock = queryBlock;
        this.partitions = partitions;
        // Embedder.encode's order: longest first (a stable sort), then batches of batchSize
        Integer[] order = new Integer[corpus.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -corpus.get(i).length()));
        List<int[]> batches = new ArrayList<>();
        for (int s = 0; s < order.length; s += model.batchSize()) {
            int[] b = new int[Math.min(order.length, s + model.batchSize()) - s];
            for (int k = 0; k < b.length; k++) {
                b[k] = order[s + k];
            }
            batches.add(b);
        }
        int shardCount = Math.max(1, Math.min(partitions, batches.size()));
        // each shard's batches travel with their texts (the RDD's lineage: a lost cached shard is re-embedded)
        List<String> texts = corpus;
        List<ArrayList<Batch>> plan = new ArrayList<>();
        for (int s = 0; s < shardCount; s++) {
            ArrayList<Batch> mine = new ArrayList<>();
            for (int[] b : batches.subList(batches.size() * s / shardCount, batches.size() * (s + 1) / shardCount)) {
                List<String> t = new ArrayList<>();
                for (int i : b) {
                    t.add(texts.get(i));
                }
                mine.add(new Batch(b, t));
            }
            plan.add(mine);
        }
        shards = sc.parallelize(plan, shardCount).map(batchesOfShard -> {
            Embedder embedder = ExecutorModels.embedder(model);
            TreeSet<Integer> mine = new TreeSet<>();
            Map<Integer, float[]> rows = new HashMap<>();
            Map<Integer, String> textOf = new HashMap<>();
            for (Batch b : batchesOfShard) {
                float[][] r = CorpusEmbedding.encode(embedder, b.texts(), null);
                for (int k = 0; k < b.indices().length; k++) {
                    rows.put(b.indices()[k], r[k]);
                    textOf.put(b.indices()[k], b.texts().get(k));
                    mine.add(b.indices()[k]);
                }
            }
            int[] idx = mine.stream().mapToInt(Integer::intValue).toArray();
            List<String> t = new ArrayList<>();
            float[][] v = new float[idx.length][];
            for (int k = 0; k < idx.length; k++) {
                t.add(textOf.get(idx[k]));
                v[k] = rows.get(idx[k]);
            }
            return new Shard(idx, t, v);
        }).persist(StorageLevel.MEMORY_AND_DISK());

        // the positives' rows, for score(): one DenseScorer over them, as the local one scores a row
        Set<Integer> wanted = new TreeSet<>(positives);
        Broadcast<Set<Integer>> want = sc.broadcast(wanted);
        List<float[]> rowsOfPositives = new ArrayList<>();
        List<Integer> idsOfPositives = new ArrayList<>();
        shards.flatMap(sh -> {
            List<Object[]> out = new ArrayList<>();
            for (int k = 0; k < sh.indices().length; k++) {
                if (want.value().contains(sh.indices()[k])) {
                    out.add(new Object[] {sh.indices()[k], sh.rows()[k]});
                }
            }
            return out.iterator();
        }).collect().forEach(o -> {
            idsOfPositives.add((Integer) o[0]);
            rowsOfPositives.add((float[]) o[1]);
        });
        Map<String, float[]> lookup = new HashMap<>();
        List<String> positiveTexts = new ArrayList<>();
        for (int k = 0; k < idsOfPositives.size(); k++) {
            positiveSlot.put(idsOfPositives.get(k), k);
            positiveTexts.add(texts.get(idsOfPositives.get(k)));
            lookup.put(texts.get(idsOfPositives.get(k)), rowsOfPositives.get(k));
        }
        this.positives = positiveTexts.isEmpty() ? null
                : new DenseScorer(new Lookup(lookup, positiveTexts.size(), queryCache), positiveTexts, queryBlock);
        want.destroy();
    }

    @Override
    public List<Ranked[]> topK(List<String> queries, int k) {
        // queries in the local scorer's blocks, one encode call each, embedded on the executors
        List<List<String>> blocks = SparkRetrievalEvaluation.chunks(queries, queryBlock);
        float[][][] q = CorpusEmbedding.encodeCalls(sc, blocks, model, null, partitions);
        HashMap<String, float[]> queryRows = new HashMap<>();
        for (int b = 0; b < blocks.size(); b++) {
            for (int i = 0; i < blocks.get(b).size(); i++) {
                queryRows.put(blocks.get(b).get(i), q[b][i]);
            }
        }
        queryCache.putAll(queryRows);
        Broadcast<HashMap<String, float[]>> shipped = sc.broadcast(queryRows);
        List<String> queryList = new ArrayList<>(queries);
        int block = queryBlock;
        List<Object[]> perShard;   // per shard: int[][] corpus indices and double[][] scores, per query
        try {
            perShard = shards.map(sh -> {
                DenseScorer local = new DenseScorer(new Lookup(rowsOf(sh), sh.texts().size(), shipped.value()), sh.texts(), block);
                List<Ranked[]> r = local.topK(queryList, Math.min(k, sh.texts().size()));
                int[][] idx = new int[r.size()][];
                double[][] sco = new double[r.size()][];
                for (int qi = 0; qi < idx.length; qi++) {
                    Ranked[] hits = r.get(qi);
                    idx[qi] = new int[hits.length];
                    sco[qi] = new double[hits.length];
                    for (int j = 0; j < hits.length; j++) {
                        idx[qi][j] = sh.indices()[hits[j].index()];
                        sco[qi][j] = hits[j].score();
                    }
                }
                return new Object[] {idx, sco};
            }).collect();
        } finally {
            shipped.destroy();
        }
        Comparator<Ranked> best = (a, b) -> a.score() != b.score() ? Double.compare(b.score(), a.score())
                : Integer.compare(a.index(), b.index());
        List<Ranked[]> out = new ArrayList<>(queries.size());
        for (int qi = 0; qi < queries.size(); qi++) {
            List<Ranked> all = new ArrayList<>();
            for (Object[] s : perShard) {
                int[] idx = ((int[][]) s[0])[qi];
                double[] sco = ((double[][]) s[1])[qi];
                for (int j = 0; j < idx.length; j++) {
                    all.add(new Ranked(idx[j], sco[j]));
                }
            }
            all.sort(best);
            out.add(all.subList(0, Math.min(k, all.size())).toArray(Ranked[]::new));
        }
        return out;
    }

    private static Map<String, float[]> rowsOf(Shard sh) {
        Map<String, float[]> rows = new HashMap<>();
        for (int i = 0; i < sh.texts().size(); i++) {
            rows.put(sh.texts().get(i), sh.rows()[i]);
        }
        return rows;
    }

    @Override
    public double score(String query, int corpusIndex) {
        Integer slot = positiveSlot.get(corpusIndex);
        if (slot == null) {
            throw new IllegalArgumentException("corpus entry " + corpusIndex + " was not among the positives this scorer"
                    + " was built for; pass every index score() will be asked about");
        }
        return positives.score(query, slot);
    }

    @Override
    public void close() {
        shards.unpersist(false);
    }

    /**
     * Embeddings already computed, looked up by text: a {@link DenseScorer}'s constructor asks for
     * the corpus rows first (in calls of bounded size, in order), every later call for queries (a
     * text may be both, with different embeddings: locally it is embedded in a corpus batch and in
     * a query block), so the first {@code corpusTexts} texts asked for are corpus rows.
     */
    private static final class Lookup implements TextEncoder {
        private final Map<String, float[]> corpus;
        private final Map<String, float[]> queries;
        private long corpusLeft;

        Lookup(Map<String, float[]> corpus, long corpusTexts, Map<String, float[]> queries) {
            this.corpus = corpus;
            this.corpusLeft = corpusTexts;
            this.queries = queries;
        }

        @Override
        public float[][] encode(List<String> texts) {
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < out.length; i++) {
                Map<String, float[]> from = corpusLeft > 0 ? corpus : queries;
                corpusLeft--;
                out[i] = from.get(texts.get(i));
                if (out[i] == null) {
                    throw new IllegalStateException("no embedding for text '" + texts.get(i) + "'");
                }
            }
            return out;
        }
    }
}
