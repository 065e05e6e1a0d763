package dev.embedtune.spark;

import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Encoding;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.eval.SequentialEvaluator;
import dev.embedtune.train.eval.SimilarityFunction;
import dev.embedtune.train.eval.TopK;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The retrieval evaluation of {@code embedtune evaluate} ({@link InformationRetrievalEvaluator}, per
 * Matryoshka dimension as {@link MatryoshkaEvaluation}) with the corpus split into contiguous shards,
 * one per task: each task embeds its shard's texts and ranks them against every query (exact top-k by
 * blocked matrix products, {@link InformationRetrievalEvaluator#topK}); the driver merges the shards'
 * heaps in corpus order into the global top-k and computes the metrics with the evaluator's own code.
 *
 * <p>Identical to the local evaluation, not merely close: the texts go to the model in the same
 * {@code encode} calls as locally (the evaluator's chunks of distinct texts, minus those a
 * {@link dev.embedtune.train.eval.CachingEncoder} has already seen when Matryoshka dimensions are
 * given), so the embeddings have the same bits; rows are normalised by the same Java code; a score
 * is one dot product whatever block it is computed in; and the merge keeps the local tie rule
 * (higher score, then lower corpus index).
 */
public final class SparkRetrievalEvaluation {

    private final RetrievalTask task;
    private final InformationRetrievalEvaluator.Options options;
    private final List<Integer> dims;

    /**
     * @param dims Matryoshka dimensions, or empty to evaluate the full embedding once
     */
    public SparkRetrievalEvaluation(RetrievalTask task, InformationRetrievalEvaluator.Options options, List<Integer> dims) {
        this.task = task;
        this.options = options;
        this.dims = dims == null ? List.of() : List.copyOf(dims);
    }

    /** One shard: corpus entries [from, to) and the encode calls that produce their embeddings. */
    record Shard(int from, int to, List<List<String>> calls, List<String> texts, int[] indices) implements Serializable {
    }

    /** One shard's hits per (dimension, function) and query: corpus indices and scores, best first. */
    record ShardHits(int[][][] indices, float[][][] scores) implements Serializable {
    }

    /**
     * @param partitions how many corpus shards (tasks)
     * @return the same result {@code evaluate} prints locally: an {@link InformationRetrievalEvaluator.Result},
     *     or with dimensions a {@link SequentialEvaluator.Result} of one per dimension
     */
    public EvaluationResult evaluate(JavaSparkContext sc, ModelSpec model, int partitions) {
        boolean matryoshka = !dims.isEmpty();
        List<InformationRetrievalEvaluator> evaluators = new ArrayList<>();
        if (matryoshka) {
            for (int d : dims) {
                evaluators.add(InformationRetrievalEvaluator.of(task, options.withName(MatryoshkaEvaluation.nameOf(d))));
            }
        } else {
            evaluators.add(InformationRetrievalEvaluator.of(task, options));
        }
        InformationRetrievalEvaluator first = evaluators.get(0);
        List<String> queries = first.queryTexts();
        List<String> corpus = first.corpusTexts();
        int batch = options.batchSize();

        // queries: the evaluator's chunks of distinct texts, embedded on the executors, kept on the driver
        List<String> distinctQueries = new ArrayList<>(new LinkedHashSet<>(queries));
        List<List<String>> queryCalls = chunks(distinctQueries, batch);
        float[][][] queryRows = CorpusEmbedding.encodeCalls(sc, queryCalls, model, null, partitions);
        Map<String, float[]> queryEmbedding = new HashMap<>();
        for (int c = 0; c < queryCalls.size(); c++) {
            for (int i = 0; i < queryCalls.get(c).size(); i++) {
                queryEmbedding.put(queryCalls.get(c).get(i), queryRows[c][i]);
            }
        }

        // corpus: shards of whole chunks of the distinct corpus texts; a shard ranks the entries it embeds
        List<String> distinctCorpus = new ArrayList<>(new LinkedHashSet<>(corpus));
        Map<String, Integer> slot = new HashMap<>();
        for (int i = 0; i < distinctCorpus.size(); i++) {
            slot.put(distinctCorpus.get(i), i);
        }
        int chunkCount = (distinctCorpus.size() + batch - 1) / batch;
        int shardCount = Math.max(1, Math.min(partitions, chunkCount));
        Set<String> seenQueries = matryoshka ? new HashSet<>(distinctQueries) : Set.of();
        List<Shard> shards = new ArrayList<>();
        for (int s = 0; s < shardCount; s++) {
            int firstChunk = (int) ((long) chunkCount * s / shardCount), endChunk = (int) ((long) chunkCount * (s + 1) / shardCount);
            int firstSlot = firstChunk * batch, endSlot = Math.min(distinctCorpus.size(), endChunk * batch);
            List<List<String>> calls = new ArrayList<>();
            for (int c = firstChunk; c < endChunk; c++) {
                List<String> call = new ArrayList<>();
                for (String t : distinctCorpus.subList(c * batch, Math.min(distinctCorpus.size(), (c + 1) * batch))) {
                    if (!seenQueries.contains(t)) {   // a CachingEncoder encodes only what it has not seen
                        call.add(t);
                    }
                }
                if (!call.isEmpty()) {
                    calls.add(call);
                }
            }
            // the corpus entries whose distinct text falls in this shard's slots; entries in corpus order
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < corpus.size(); i++) {
                int sl = slot.get(corpus.get(i));
                if (sl >= firstSlot && sl < endSlot) {
                    texts.add(corpus.get(i));
                }
            }
            shards.add(new Shard(firstSlot, endSlot, calls, texts, null));
        }
        int[][] entryIndex = entryIndices(corpus, slot, shards);
        for (int s = 0; s < shards.size(); s++) {
            Shard sh = shards.get(s);
            shards.set(s, new Shard(sh.from(), sh.to(), sh.calls(), sh.texts(), entryIndex[s]));
        }

        // per (dimension, function): the queries as the local evaluator scores them
        List<SimilarityFunction> functions = options.functions();
        int views = evaluators.size() * functions.size();
        float[][][] preparedQueries = new float[views][][];
        for (int v = 0; v < views; v++) {
            Integer dim = matryoshka ? dims.get(v / functions.size()) : null;
            SimilarityFunction f = functions.get(v % functions.size());
            float[][] q = new float[queries.size()][];
            for (int i = 0; i < q.length; i++) {
                q[i] = view(queryEmbedding.get(queries.get(i)), dim, f);
            }
            preparedQueries[v] = q;
        }
        Broadcast<float[][][]> queryViews = sc.broadcast(preparedQueries);
        Broadcast<HashMap<String, float[]>> cached = sc.broadcast(matryoshka ? new HashMap<>(queryEmbedding) : new HashMap<>());
        int maxK = options.cutoffs().maxK();
        List<Integer> dimList = new ArrayList<>(dims);
        // Options is not serializable: ship what the ranking needs and rebuild it on the executor
        List<SimilarityFunction> fns = new ArrayList<>(functions);
        int queryBlock = options.queryBlock(), corpusBlock = options.corpusBlock();
        InformationRetrievalEvaluator.ScoreKernelChoice kernel = options.kernel();
        List<ShardHits> hits;
        try {
            hits = sc.parallelize(shards, shards.size()).map(shard -> {
                Map<String, float[]> rows = new HashMap<>(cached.value());
                var embedder = ExecutorModels.embedder(model);
                for (List<String> call : shard.calls()) {
                    float[][] r = CorpusEmbedding.encode(embedder, call, null);
                    for (int i = 0; i < call.size(); i++) {
                        rows.put(call.get(i), r[i]);
                    }
                }
                InformationRetrievalEvaluator.Options opts = InformationRetrievalEvaluator.Options.defaults()
                        .withBlocks(queryBlock, corpusBlock, kernel);
                int[] indices = shard.indices();
                int nViews = queryViews.value().length;
                int[][][] idx = new int[nViews][][];
                float[][][] sc2 = new float[nViews][][];
                for (int v = 0; v < nViews; v++) {
                    Integer dim = dimList.isEmpty() ? null : dimList.get(v / fns.size());
                    SimilarityFunction f = fns.get(v % fns.size());
                    Map<float[], float[]> once = new java.util.IdentityHashMap<>();
                    float[][] c = new float[shard.texts().size()][];
                    for (int i = 0; i < c.length; i++) {
                        float[] raw = rows.get(shard.texts().get(i));
                        c[i] = once.computeIfAbsent(raw, r -> view(r, dim, f));
                    }
                    TopK[] heaps = InformationRetrievalEvaluator.topK(queryViews.value()[v], c, indices, maxK, opts);
                    idx[v] = new int[heaps.length][];
                    sc2[v] = new float[heaps.length][];
                    for (int q = 0; q < heaps.length; q++) {
                        idx[v][q] = heaps[q].ranked();
                        sc2[v][q] = heaps[q].rankedScores();
                    }
                }
                return new ShardHits(idx, sc2);
            }).collect();
        } finally {
            queryViews.destroy();
            cached.destroy();
        }

        // merge the shards in corpus order, per view and query
        List<EvaluationResult> results = new ArrayList<>();
        for (int e = 0; e < evaluators.size(); e++) {
            Map<SimilarityFunction, List<int[]>> rankings = new LinkedHashMap<>();
            for (int fi = 0; fi < functions.size(); fi++) {
                int v = e * functions.size() + fi;
                List<int[]> perQuery = new ArrayList<>();
                for (int q = 0; q < queries.size(); q++) {
                    perQuery.add(merge(hits, v, q, Math.min(maxK, corpus.size())));
                }
                rankings.put(functions.get(fi), perQuery);
            }
            results.add(evaluators.get(e).resultOf(rankings));
        }
        if (!matryoshka) {
            return results.get(0);
        }
        List<dev.embedtune.train.eval.Evaluator<?>> done = new ArrayList<>();
        for (EvaluationResult r : results) {
            done.add(encoder -> r);
        }
        return new SequentialEvaluator(done, SequentialEvaluator.Aggregation.MEAN).evaluate(texts -> {
            throw new IllegalStateException("already evaluated");
        });
    }

    /**
     * An embedding as the local evaluator scores it: at a Matryoshka dimension the first {@code dim}
     * values L2-normalised ({@link dev.embedtune.train.eval.MatryoshkaEncoder}), then for cosine
     * normalised (again) as {@link InformationRetrievalEvaluator} does.
     */
    static float[] view(float[] raw, Integer dim, SimilarityFunction f) {
        float[] v = dim == null ? raw : Encoding.l2Normalized(Arrays.copyOf(raw, dim));
        return f == SimilarityFunction.COSINE ? Encoding.l2Normalized(v) : v;
    }

    /** The global corpus index of each entry each shard ranks, increasing. */
    private static int[][] entryIndices(List<String> corpus, Map<String, Integer> slot, List<Shard> shards) {
        int[][] out = new int[shards.size()][];
        for (int s = 0; s < shards.size(); s++) {
            Shard shard = shards.get(s);
            int[] idx = new int[shard.texts().size()];
            int n = 0;
            for (int i = 0; i < corpus.size(); i++) {
                int sl = slot.get(corpus.get(i));
                if (sl >= shard.from() && sl < shard.to()) {
                    idx[n++] = i;
                }
            }
            out[s] = idx;
        }
        return out;
    }

    /**
     * The global top-k of query {@code q} in view {@code v}: every shard's hits offered in increasing
     * corpus index (TopK's tie rule; shards interleave when the corpus repeats a text).
     */
    private static int[] merge(List<ShardHits> hits, int v, int q, int k) {
        List<long[]> all = new ArrayList<>();   // (index, shard, position)
        for (int s = 0; s < hits.size(); s++) {
            int[] idx = hits.get(s).indices()[v][q];
            for (int i = 0; i < idx.length; i++) {
                all.add(new long[] {idx[i], s, i});
            }
        }
        all.sort((a, b) -> Long.compare(a[0], b[0]));
        TopK merged = new TopK(Math.max(1, k));
        for (long[] h : all) {
            merged.offer(hits.get((int) h[1]).scores()[v][q][(int) h[2]], (int) h[0]);
        }
        return merged.ranked();
    }

    static List<List<String>> chunks(List<String> texts, int size) {
        List<List<String>> out = new ArrayList<>();
        for (int s = 0; s < texts.size(); s += size) {
            out.add(new ArrayList<>(texts.subList(s, Math.min(texts.size(), s + size))));
        }
        return out;
    }
}
