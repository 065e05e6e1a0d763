package dev.embedtune.train.mining;

import java.util.List;

/** Scores passages of a corpus for queries: dense (embedding cosine) or sparse (BM25). */
public interface Scorer {

    /** The best {@code k} corpus entries for each query, highest score first (ties: lower index first). */
    List<Ranked[]> topK(List<String> queries, int k);

    /** The score of each (query, corpus entry) pair. */
    double score(String query, int corpusIndex);

    /** One ranked corpus entry. */
    record Ranked(int index, double score) {
    }
}
