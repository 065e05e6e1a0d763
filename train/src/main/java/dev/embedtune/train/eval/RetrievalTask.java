package dev.embedtune.train.eval;

import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.DatasetFormatException;
import dev.embedtune.train.data.DatasetLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Queries, corpus and relevance for retrieval evaluation, built with the semantics of the shared
 * data README so that figures compare:
 * <ul>
 *   <li>queries: the anchor ({@code query}) of every record of the evaluated split;</li>
 *   <li>corpus: the positive ({@code passage}) of <em>every</em> record of the file, identical texts
 *       once, in file order;</li>
 *   <li>relevant: a query's own positive, and every corpus passage of a record with the query's group.</li>
 * </ul>
 * The file is read by the one dataset reader, {@link DatasetLoader} (formats, column mapping, split rule).
 *
 * @param queries query id → text, in file order
 * @param corpus corpus id → text, in file order
 * @param relevantDocs query id → relevant corpus ids
 */
public record RetrievalTask(Map<String, String> queries, Map<String, String> corpus,
        Map<String, Set<String>> relevantDocs) {

    /** The test split of {@code file}, as {@code embedtune evaluate} uses it. */
    public static RetrievalTask fromJsonl(Path file) {
        return fromJsonl(file, "test");
    }

    /** {@link #read} with the file's default column mapping ({@link DatasetLoader#defaultMapping}). */
    public static RetrievalTask fromJsonl(Path file, String split) {
        return read(file, DatasetLoader.defaultMapping(file), split);
    }

    /**
     * The task of one split of a data file: its records' anchors against every record's positive.
     *
     * @param split whose queries to evaluate: {@code test}, {@code train}, {@code all} or a split field's value
     * @throws DatasetFormatException naming file, line and column when a record is malformed, or when no
     *     record has the split
     */
    public static RetrievalTask read(Path file, ColumnMapping mapping, String split) {
        return of(DatasetLoader.load(file, mapping, split), DatasetLoader.load(file, mapping, "all"));
    }

    /**
     * A task from loaded examples, with the same semantics as {@link #fromJsonl}: the queries are the
     * anchors of {@code queries} (ids {@code q0, q1, …}), the corpus is the positives of {@code corpus}
     * (identical texts once, ids {@code d0, d1, …}), and a corpus passage is relevant to a query when an
     * example carrying it has the query's group, or, for examples without a group, when it is the
     * query's own positive.
     *
     * @param queries the evaluated examples (e.g. the test split)
     * @param corpus the examples whose positives form the corpus (e.g. every split); must hold every
     *     query's own positive
     * @throws IllegalArgumentException when {@code queries} is empty or a query's positive is not in the corpus
     */
    public static RetrievalTask of(dev.embedtune.train.data.Dataset queries, dev.embedtune.train.data.Dataset corpus) {
        if (queries.size() == 0) {
            throw new IllegalArgumentException(queries.name() + ": no queries to evaluate");
        }
        Map<String, String> docs = new LinkedHashMap<>();
        Map<String, String> idOfText = new HashMap<>();
        Map<String, Set<String>> idsOfGroup = new HashMap<>();
        for (int i = 0; i < corpus.size(); i++) {
            dev.embedtune.train.data.Example e = corpus.get(i);
            String id = idOfText.computeIfAbsent(e.positive(), t -> {
                String fresh = "d" + docs.size();
                docs.put(fresh, t);
                return fresh;
            });
            if (e.group() != null) {
                idsOfGroup.computeIfAbsent(e.group(), g -> new LinkedHashSet<>()).add(id);
            }
        }
        Map<String, String> qs = new LinkedHashMap<>();
        Map<String, Set<String>> relevant = new LinkedHashMap<>();
        for (int i = 0; i < queries.size(); i++) {
            dev.embedtune.train.data.Example e = queries.get(i);
            String own = idOfText.get(e.positive());
            if (own == null) {
                throw new IllegalArgumentException(queries.name() + ": example " + i + "'s positive is not in the corpus "
                        + corpus.name());
            }
            Set<String> rel = new LinkedHashSet<>();
            rel.add(own);
            if (e.group() != null && idsOfGroup.containsKey(e.group())) {
                rel.addAll(idsOfGroup.get(e.group()));
            }
            qs.put("q" + i, e.anchor());
            relevant.put("q" + i, rel);
        }
        return new RetrievalTask(qs, docs, relevant);
    }
}
