package dev.embedtune.train.mining;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.train.eval.Encoding;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Cosine similarity of embeddings, exact top-k by blocked matrix products: the corpus is embedded
 * once (normalised, {@link Encoding#DEFAULT_BATCH_SIZE} texts per encoder call); queries go through
 * in blocks of {@code queryBlock} (one encoder call each), each block's scores
 * against the whole corpus ([block, corpus] floats, never queries × corpus) feed a heap per query.
 */
public final class DenseScorer implements Scorer {
    private final TextEncoder encoder;
    private final INDArray corpus;   // [N, D], rows L2-normalised
    private final int queryBlock;
    private final Map<String, float[]> queryCache = new HashMap<>();

    public DenseScorer(TextEncoder encoder, List<String> corpusTexts, int queryBlock) {
        this.encoder = encoder;
        // in bounded calls: an encoder may run each call as one batch, and a corpus has 100,000s of texts
        this.corpus = normalised(Encoding.encode(encoder, corpusTexts, Encoding.DEFAULT_BATCH_SIZE));
        this.queryBlock = queryBlock;
    }

    private static INDArray normalised(float[][] rows) {
        INDArray m = Nd4j.createFromArray(rows);
        return m.divColumnVector(m.norm2(true, 1).addi(1e-12));
    }

    @Override
    public List<Ranked[]> topK(List<String> queries, int k) {
        List<Ranked[]> out = new ArrayList<>(queries.size());
        int n = (int) corpus.size(0);
        for (int start = 0; start < queries.size(); start += queryBlock) {
            List<String> block = queries.subList(start, Math.min(queries.size(), start + queryBlock));
            float[][] q = encoder.encode(block);
            for (int i = 0; i < block.size(); i++) {
                queryCache.put(block.get(i), q[i]);
            }
            float[][] scores = normalised(q).mmul(corpus.transpose()).toFloatMatrix();    // [block, N]
            for (float[] row : scores) {
                // min-heap of the best k: worst on top; ties keep the lower corpus index
                PriorityQueue<Ranked> heap = new PriorityQueue<>((a, b) -> a.score() != b.score()
                        ? Double.compare(a.score(), b.score()) : Integer.compare(b.index(), a.index()));
                for (int j = 0; j < n; j++) {
                    heap.offer(new Ranked(j, row[j]));
                    if (heap.size() > k) {
                        heap.poll();
                    }
                }
                Ranked[] best = new Ranked[heap.size()];
                for (int r = best.length - 1; r >= 0; r--) {
                    best[r] = heap.poll();
                }
                out.add(best);
            }
        }
        return out;
    }

    @Override
    public double score(String query, int corpusIndex) {
        float[] q = queryCache.computeIfAbsent(query, t -> encoder.encode(List.of(t))[0]);
        INDArray qn = normalised(new float[][] {q});
        return qn.mmul(corpus.getRow(corpusIndex).reshape(-1, 1)).getDouble(0);
    }
}
