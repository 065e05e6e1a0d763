package dev.embedtune.train.data;

import dev.embedtune.train.Warnings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What is legal in a data file but most likely a mistake, gathered while {@link DatasetLoader} reads
 * it and given as one warning each ({@link Warnings}), with a count and the first line:
 *
 * <ul>
 *   <li>an id that an earlier record already has;</li>
 *   <li>an empty (or blank) text: it embeds as the special tokens alone;</li>
 *   <li>a JSON number or boolean where a text belongs: read as its text;</li>
 *   <li>a split field whose value is neither train nor test nor the split asked for (a typo such as
 *       {@code tset} would otherwise drop the record silently).</li>
 * </ul>
 */
final class RecordChecks {

    private final Path file;
    private final ColumnMapping mapping;
    private final Map<String, Long> idLines = new HashMap<>();
    private int duplicateIds;
    private String firstDuplicate;
    private final Map<String, int[]> emptyCounts = new LinkedHashMap<>();   // column → {count}
    private final Map<String, Long> emptyFirstLine = new HashMap<>();
    private final List<Long> lines = new java.util.ArrayList<>();
    private final Map<String, int[]> nonTextCounts = new LinkedHashMap<>();   // column → {count}
    private final Map<String, String> nonTextFirst = new HashMap<>();         // column → "line: value"
    private final List<Boolean> splitFromField = new java.util.ArrayList<>();

    RecordChecks(Path file, ColumnMapping mapping) {
        this.file = file;
        this.mapping = mapping;
    }

    /** One record as read: its line, its example, its id (or null) and whether a split field gave its split. */
    void record(long line, Example e, String id, boolean splitField) {
        lines.add(line);
        splitFromField.add(splitField);
        if (id != null) {
            Long earlier = idLines.putIfAbsent(id, line);
            if (earlier != null) {
                duplicateIds++;
                if (firstDuplicate == null) {
                    firstDuplicate = "id '" + id + "' on lines " + earlier + " and " + line;
                }
            }
        }
        List<String> columns = mapping.textColumns();
        for (int c = 0; c < columns.size(); c++) {
            if (e.texts().get(c).isBlank()) {
                emptyCounts.computeIfAbsent(columns.get(c), k -> new int[1])[0]++;
                emptyFirstLine.putIfAbsent(columns.get(c), line);
            }
        }
    }

    /** A JSON number or boolean where a text belongs (read as its text). */
    void nonText(long line, String column, String value) {
        nonTextCounts.computeIfAbsent(column, k -> new int[1])[0]++;
        nonTextFirst.putIfAbsent(column, line + ": " + value);
    }

    /** Gives the warnings, once the whole file is read; {@code splits} holds each record's split. */
    void warn(List<String> splits, String keep) {
        nonTextCounts.forEach((column, n) -> {
            String first = nonTextFirst.get(column);
            int colon = first.indexOf(": ");
            Warnings.warn(file + ":" + first.substring(0, colon) + ": " + n[0] + " record" + (n[0] == 1 ? " has" : "s have")
                    + " a number or true/false as its '" + column + "' (" + mapping.columns().get(column).key() + ") text (first on"
                    + " this line: " + first.substring(colon + 2) + "); it is read as that text; quote it if that is meant");
        });
        if (duplicateIds > 0) {
            Warnings.warn(file + ": " + duplicateIds + " record" + (duplicateIds == 1 ? " repeats" : "s repeat")
                    + " an earlier record's id (first: " + firstDuplicate + "); ids should be unique");
        }
        emptyCounts.forEach((column, n) -> Warnings.warn(file + ":" + emptyFirstLine.get(column) + ": " + n[0] + " record"
                + (n[0] == 1 ? " has" : "s have") + " an empty '" + column + "' (" + mapping.columns().get(column).key()
                + ") text (first on this line); it embeds as the special tokens alone"));
        if (keep == null) {
            return;   // every record is kept: a split value drops nothing
        }
        Set<String> expected = new java.util.HashSet<>(List.of("train", "test", keep));
        Map<String, int[]> unexpected = new LinkedHashMap<>();
        Map<String, Long> firstLine = new HashMap<>();
        for (int i = 0; i < splits.size(); i++) {
            String s = splits.get(i);
            if (splitFromField.get(i) && !expected.contains(s)) {
                unexpected.computeIfAbsent(s, k -> new int[1])[0]++;
                firstLine.putIfAbsent(s, lines.get(i));
            }
        }
        unexpected.forEach((split, n) -> Warnings.warn(file + ":" + firstLine.get(split) + ": " + n[0] + " record"
                + (n[0] == 1 ? " has" : "s have") + " " + DatasetLoader.SPLIT_FIELD + " '" + split + "' (first on this line),"
                + " which is neither train nor test" + (keep.equals("train") || keep.equals("test") ? ""
                        : " nor the split asked for, '" + keep + "'") + "; they are left out (a typo?)"));
    }
}
