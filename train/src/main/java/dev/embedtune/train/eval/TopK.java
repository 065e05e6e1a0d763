package dev.embedtune.train.eval;

/**
 * The best {@code k} (score, corpus index) pairs seen so far for one query, as a binary min-heap on
 * primitive arrays (the root is the worst kept hit).
 *
 * <p>Order: higher score first; among equal scores the lower corpus index first. Candidates must be
 * offered in increasing index order; then a candidate whose score equals the worst kept score loses
 * to it, and the ranking does not depend on how the corpus is cut into blocks. (sentence-transformers
 * leaves the order within ties to {@code torch.topk} and its heap; this is the deterministic rule
 * used here.)
 */
public final class TopK {

    private final float[] scores;
    private final int[] indices;
    private int size;

    public TopK(int k) {
        scores = new float[k];
        indices = new int[k];
    }

    /** The score a new candidate must beat once the heap is full. */
    public float threshold() {
        return size < scores.length ? Float.NEGATIVE_INFINITY : scores[0];
    }

    public boolean isFull() {
        return size == scores.length;
    }

    /** Offers a hit; indices must increase from call to call. NaN scores are never kept. */
    public void offer(float score, int index) {
        if (Float.isNaN(score)) {
            return;
        }
        if (size < scores.length) {
            scores[size] = score;
            indices[size] = index;
            siftUp(size++);
        } else if (score > scores[0]) {
            scores[0] = score;
            indices[0] = index;
            siftDown(0);
        }
    }

    /** a is worse than b: lower score, or the same score and a later index. */
    private boolean worse(int a, int b) {
        return scores[a] < scores[b] || (scores[a] == scores[b] && indices[a] > indices[b]);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!worse(i, parent)) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < size && worse(l, worst)) {
                worst = l;
            }
            if (r < size && worse(r, worst)) {
                worst = r;
            }
            if (worst == i) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
        int t = indices[a];
        indices[a] = indices[b];
        indices[b] = t;
    }

    /** The kept corpus indices, best first. */
    public int[] ranked() {
        Integer[] order = order();
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            out[i] = indices[order[i]];
        }
        return out;
    }

    /** The scores of {@link #ranked()}, in the same order. */
    public float[] rankedScores() {
        Integer[] order = order();
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            out[i] = scores[order[i]];
        }
        return out;
    }

    private Integer[] order() {
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a])
                : Integer.compare(indices[a], indices[b]));
        return order;
    }
}
