package dev.embedtune.train.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which source column (JSON field or CSV/TSV header) plays which {@link Role}, e.g.
 * {@code query→anchor, passage→positive, group→group}. Negative columns keep their mapping order.
 * The mapping decides the {@link ExampleFormat}.
 */
public final class ColumnMapping {

    /** The shared retrieval files ({@code id, query, passage, group, split}): query → anchor, passage → positive. */
    public static final ColumnMapping QUERY_PASSAGE_GROUP =
            parse("query→anchor, passage→positive, group→group");

    private final Map<String, Role> columns; // source column → role, in mapping order
    private final ExampleFormat format;

    private ColumnMapping(Map<String, Role> columns) {
        int anchors = 0, positives = 0, negatives = 0, scores = 0, labels = 0, groups = 0;
        for (Role r : columns.values()) {
            switch (r) {
                case ANCHOR -> anchors++;
                case POSITIVE -> positives++;
                case NEGATIVE -> negatives++;
                case SCORE -> scores++;
                case LABEL -> labels++;
                case GROUP -> groups++;
            }
        }
        requireCount("anchor", anchors, 1, 1);
        requireCount("positive", positives, 1, 1);
        requireCount("score", scores, 0, 1);
        requireCount("label", labels, 0, 1);
        requireCount("group", groups, 0, 1);
        this.columns = columns;
        this.format = ExampleFormat.of(negatives, scores == 1, labels == 1);
    }

    private static void requireCount(String role, int found, int min, int max) {
        if (found < min || found > max) {
            throw new IllegalArgumentException("column mapping: expected " + (min == max ? "exactly " + min
                    : "at most " + max) + " column(s) mapped to " + role + ", found " + found);
        }
    }

    /**
     * Parses {@code source→role} entries separated by commas; {@code ->}, {@code =} and {@code :}
     * work as arrows too. A source column may be mapped once; {@code negative} may be used several times.
     *
     * @throws IllegalArgumentException naming the entry that is malformed or the role that is missing
     */
    public static ColumnMapping parse(String spec) {
        Map<String, Role> columns = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.split("→|->|=|:", -1);
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new IllegalArgumentException("column mapping entry '" + entry.trim()
                        + "': expected source→role, e.g. query→anchor");
            }
            String source = parts[0].trim();
            if (columns.put(source, Role.parse(parts[1])) != null) {
                throw new IllegalArgumentException("column mapping: source column '" + source + "' is mapped twice");
            }
        }
        return new ColumnMapping(columns);
    }

    /** A mapping from explicit pairs, in order. */
    public static ColumnMapping of(Map<String, Role> columns) {
        return new ColumnMapping(new LinkedHashMap<>(columns));
    }

    /**
     * The identity mapping for files whose columns are already named after roles: {@code anchor},
     * {@code positive}, {@code negative…}, {@code score}, {@code label}, {@code group}; other columns
     * are ignored.
     */
    public static ColumnMapping byRoleNames(List<String> header) {
        Map<String, Role> columns = new LinkedHashMap<>();
        for (String h : header) {
            try {
                columns.put(h, Role.parse(h));
            } catch (IllegalArgumentException notARole) {
                // not a role name: ignored by the identity mapping
            }
        }
        return new ColumnMapping(columns);
    }

    public ExampleFormat format() {
        return format;
    }

    /** Source column → role, in mapping order. */
    public Map<String, Role> columns() {
        return Map.copyOf(columns);
    }

    /** The source columns of the text roles in example order: anchor, positive, negatives. */
    public List<String> textColumns() {
        List<String> out = new ArrayList<>();
        out.add(sourceOf(Role.ANCHOR));
        out.add(sourceOf(Role.POSITIVE));
        columns.forEach((c, r) -> {
            if (r == Role.NEGATIVE) {
                out.add(c);
            }
        });
        return out;
    }

    /** The source column of a single-valued role, or {@code null} if unmapped. */
    public String sourceOf(Role role) {
        for (Map.Entry<String, Role> e : columns.entrySet()) {
            if (e.getValue() == role) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Every mapped source column, for "missing column" checks. */
    public Set<String> sources() {
        return new HashSet<>(columns.keySet());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        columns.forEach((c, r) -> sb.append(sb.length() == 0 ? "" : ", ").append(c).append("→").append(r.key()));
        return sb.toString();
    }
}
