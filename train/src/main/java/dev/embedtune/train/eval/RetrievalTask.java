package dev.embedtune.train.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.data.DatasetFormatException;
import dev.embedtune.train.data.GroupSplit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Queries, corpus and relevance for retrieval evaluation, built with the semantics of the shared
 * data README so that figures compare:
 * <ul>
 *   <li>queries: the {@code query} of every record of the evaluated split, keyed by record {@code id};</li>
 *   <li>corpus: the {@code passage} of <em>every</em> record of the file, identical texts once, keyed
 *       by the id of the first record carrying that text;</li>
 *   <li>relevant: a corpus passage is relevant to a query when some record carrying that passage
 *       has the query's {@code group}.</li>
 * </ul>
 * A record's split is its {@code split} field when present, otherwise the {@link GroupSplit} rule.
 *
 * @param queries query id → text, in file order
 * @param corpus corpus id → text, in file order
 * @param relevantDocs query id → relevant corpus ids
 */
public record RetrievalTask(Map<String, String> queries, Map<String, String> corpus,
        Map<String, Set<String>> relevantDocs) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One record of a shared-data file. */
    private record Row(String id, String query, String passage, String group, String split) {}

    /** The test split of {@code file}, as {@code embedtune evaluate} uses it. */
    public static RetrievalTask fromJsonl(Path file) {
        return fromJsonl(file, "test");
    }

    /**
     * Reads a JSONL file with fields {@code id, query, passage, group} (and optionally {@code split}).
     *
     * @param split whose queries to evaluate: {@code "test"}, {@code "train"} or {@code "all"}
     * @throws DatasetFormatException naming file, line and field when a record lacks a field
     */
    public static RetrievalTask fromJsonl(Path file, String split) {
        if (!split.equals("test") && !split.equals("train") && !split.equals("all")) {
            throw new IllegalArgumentException("split must be test, train or all, got '" + split + "'");
        }
        List<Row> rows = read(file);
        Map<String, String> corpus = new LinkedHashMap<>();
        Map<String, String> corpusIdOfText = new HashMap<>();
        Map<String, Set<String>> corpusIdsOfGroup = new HashMap<>();
        for (Row r : rows) {
            String cid = corpusIdOfText.computeIfAbsent(r.passage(), t -> {
                corpus.put(r.id(), t);
                return r.id();
            });
            corpusIdsOfGroup.computeIfAbsent(r.group(), g -> new LinkedHashSet<>()).add(cid);
        }
        Map<String, String> queries = new LinkedHashMap<>();
        Map<String, Set<String>> relevant = new LinkedHashMap<>();
        for (Row r : rows) {
            if (split.equals("all") || r.split().equals(split)) {
                queries.put(r.id(), r.query());
                relevant.put(r.id(), corpusIdsOfGroup.get(r.group()));
            }
        }
        if (queries.isEmpty()) {
            throw new DatasetFormatException(file, "no record has split '" + split + "'");
        }
        return new RetrievalTask(queries, corpus, relevant);
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

    private static List<Row> read(Path file) {
        List<Row> rows = new ArrayList<>();
        Set<String> ids = new java.util.HashSet<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    throw new DatasetFormatException(file, lineNo, "not valid JSON: " + e.getMessage());
                }
                if (n == null || !n.isObject()) {
                    throw new DatasetFormatException(file, lineNo, "expected a JSON object");
                }
                String id = text(n, "id", file, lineNo);
                String group = text(n, "group", file, lineNo);
                String split = n.hasNonNull("split") ? text(n, "split", file, lineNo) : GroupSplit.splitOf(group);
                if (!ids.add(id)) {
                    throw new DatasetFormatException(file, lineNo, "duplicate id '" + id + "'");
                }
                rows.add(new Row(id, text(n, "query", file, lineNo), text(n, "passage", file, lineNo), group, split));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return rows;
    }

    private static String text(JsonNode n, String field, Path file, long line) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new DatasetFormatException(file, line, "field '" + field + "' must be a string, found "
                    + (v == null ? "no such field" : v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return v.asText();
    }
}
