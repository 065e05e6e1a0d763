package dev.embedtune.train.mining;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Adds hard negatives to (query, positive) pairs as sentence-transformers' {@code mine_hard_negatives}
 * does: per distinct query, take the top range_max (+ positives) candidates; drop the query's own
 * positives and, beyond sentence-transformers, every passage of the query's group (so a sense of
 * the same headword is never a negative); drop by absolute margin (score + margin > lowest positive
 * score), relative margin (score > lowest positive − |lowest positive| · margin), max_score and
 * min_score; skip the first range_min; then take the top num_negatives, or a seeded random sample.
 * Queries with too few candidates give fewer triplets/pairs and no n-tuple.
 */
public final class HardNegativeMiner {

    /** One input pair; {@code group} may be null (then only identical positives are excluded). */
    public record Pair(String query, String positive, String group) {
    }

    /** The mined rows (texts in column order; LABELED_PAIR rows end with "1" or "0") and counts. */
    public record Result(List<List<String>> rows, int queries, int droppedQueries, Map<Integer, Integer> negativesPerQuery) {
    }

    private HardNegativeMiner() {
    }

    /**
     * @param corpus the passages negatives come from; every positive is added if absent
     * @param scorer scores over exactly {@code corpus} (after positives were added: use {@link #corpusWithPositives})
     */
    public static Result mine(List<Pair> pairs, List<String> corpus, Scorer scorer, MiningOptions o) {
        Map<String, List<Integer>> positivesOf = new LinkedHashMap<>();
        Map<String, String> groupOf = new LinkedHashMap<>();
        Map<String, Integer> corpusIndex = new LinkedHashMap<>();
        for (int i = 0; i < corpus.size(); i++) {
            corpusIndex.putIfAbsent(corpus.get(i), i);
        }
        for (Pair p : pairs) {
            Integer idx = corpusIndex.get(p.positive());
            if (idx == null) {
                throw new IllegalArgumentException("the corpus lacks the positive of query '" + p.query()
                        + "': build it with corpusWithPositives");
            }
            positivesOf.computeIfAbsent(p.query(), q -> new ArrayList<>()).add(idx);
            if (p.group() != null) {
                groupOf.put(p.query(), p.group());
            }
        }
        Map<String, List<Integer>> groupMembers = new LinkedHashMap<>();
        for (Pair p : pairs) {
            if (p.group() != null) {
                groupMembers.computeIfAbsent(p.group(), g -> new ArrayList<>()).add(corpusIndex.get(p.positive()));
            }
        }
        int maxPositives = positivesOf.values().stream().mapToInt(List::size).max().orElse(1);
        int rangeMax = o.effectiveRangeMax(maxPositives);
        List<String> queries = new ArrayList<>(positivesOf.keySet());
        List<Scorer.Ranked[]> ranked = scorer.topK(queries, Math.min(corpus.size(), rangeMax + maxPositives));
        Random random = new Random(o.seed());

        List<List<String>> rows = new ArrayList<>();
        Map<Integer, Integer> histogram = new TreeMap<>();
        int dropped = 0;
        for (int q = 0; q < queries.size(); q++) {
            String query = queries.get(q);
            List<Integer> positives = positivesOf.get(query);
            Set<Integer> excluded = new java.util.HashSet<>(positives);
            String group = groupOf.get(query);
            if (group != null) {
                excluded.addAll(groupMembers.get(group));
            }
            double lowestPositive = positives.stream().mapToDouble(p -> scorer.score(query, p)).min().orElseThrow();
            List<Scorer.Ranked> kept = new ArrayList<>();
            for (Scorer.Ranked r : ranked.get(q)) {
                double s = r.score();
                boolean drop = excluded.contains(r.index())
                        || o.absoluteMargin() != null && s + o.absoluteMargin() > lowestPositive
                        || o.relativeMargin() != null && s > lowestPositive - Math.abs(lowestPositive) * o.relativeMargin()
                        || o.maxScore() != null && s > o.maxScore()
                        || o.minScore() != null && s < o.minScore();
                if (!drop) {
                    kept.add(r);
                }
            }
            // top range_max of what is left, then skip range_min
            List<Scorer.Ranked> window = kept.subList(Math.min(o.rangeMin(), Math.min(kept.size(), rangeMax)),
                    Math.min(kept.size(), rangeMax));
            List<Scorer.Ranked> chosen;
            if (o.sampling() == MiningOptions.Sampling.TOP || window.size() <= o.numNegatives()) {
                chosen = new ArrayList<>(window.subList(0, Math.min(o.numNegatives(), window.size())));
            } else {
                List<Scorer.Ranked> pool = new ArrayList<>(window);
                java.util.Collections.shuffle(pool, random);
                chosen = new ArrayList<>(pool.subList(0, o.numNegatives()));
                chosen.sort((a, b) -> Double.compare(b.score(), a.score()));
            }
            histogram.merge(chosen.size(), 1, Integer::sum);
            if (o.format() == MiningOptions.Format.N_TUPLE && chosen.size() < o.numNegatives()) {
                dropped++;
                continue;
            }
            for (int p : positives) {
                String positive = corpus.get(p);
                switch (o.format()) {
                    case TRIPLET -> chosen.forEach(n -> rows.add(List.of(query, positive, corpus.get(n.index()))));
                    case N_TUPLE -> {
                        List<String> row = new ArrayList<>(List.of(query, positive));
                        chosen.forEach(n -> row.add(corpus.get(n.index())));
                        rows.add(row);
                    }
                    case LABELED_PAIR -> {
                        rows.add(List.of(query, positive, "1"));
                        chosen.forEach(n -> rows.add(List.of(query, corpus.get(n.index()), "0")));
                    }
                }
            }
        }
        return new Result(rows, queries.size(), dropped, histogram);
    }

    /**
     * The (anchor, positive, group) pairs of examples read by the dataset reader; an example without
     * a group is a group of its own (no other pair's positive is off limits to it).
     */
    public static List<Pair> pairs(dev.embedtune.train.data.Dataset data) {
        List<Pair> pairs = new java.util.ArrayList<>(data.size());
        for (dev.embedtune.train.data.Example e : data.examples()) {
            pairs.add(new Pair(e.anchor(), e.positive(), e.group()));
        }
        return pairs;
    }

    /** The corpus (distinct, in order) with every positive added, as sentence-transformers builds it. */
    public static List<String> corpusWithPositives(List<String> corpus, List<Pair> pairs) {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(corpus);
        pairs.forEach(p -> all.add(p.positive()));
        return new ArrayList<>(all);
    }

    static String describe(Result r) {
        return r.queries() + " queries, " + r.rows().size() + " rows, " + r.droppedQueries()
                + " queries dropped for too few candidates, negatives per query " + r.negativesPerQuery();
    }
}
