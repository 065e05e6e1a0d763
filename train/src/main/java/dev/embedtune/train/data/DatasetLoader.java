package dev.embedtune.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The one dataset reader: training ({@code Pipeline}), evaluation ({@code RetrievalTask.read}) and
 * mining ({@code mine-negatives}, the pipeline's mining stage) all read data files here, so they agree
 * on the formats, the column mapping and the split rule. A record's split is its {@value #SPLIT_FIELD}
 * field; without one, the {@link GroupSplit} rule over its group; without a group either, {@code train}
 * (an ungrouped record is never held out by chance; give it a split field to evaluate on it). A record
 * lacks a group when the mapped group field is absent or null (JSONL) or its cell is empty (CSV, TSV).
 *
 * <p>Reads a {@link Dataset} from JSONL ({@code .jsonl}, one object a line), CSV ({@code .csv}) or TSV
 * ({@code .tsv}, {@code .tab}); CSV and TSV need a header row naming the columns. Every record is
 * read through a {@link ColumnMapping}; a missing column, a non-text text field, a score that is no
 * number or a label other than 0/1 throws a {@link DatasetFormatException} naming file, line and column.
 */
public final class DatasetLoader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetLoader() {}

    /** The name of the field (JSONL) or column (CSV, TSV) that holds a record's split. */
    public static final String SPLIT_FIELD = "split";

    /** The field or column of a record's id, when the file has one: ids should be unique (a warning says when not). */
    public static final String ID_FIELD = "id";

    /** Reads {@code file} with the given mapping; the file type comes from its extension. */
    public static Dataset load(Path file, ColumnMapping mapping) {
        return load(file, mapping, null);
    }

    /**
     * Reads the records of one split of {@code file}. A record's split is its {@value #SPLIT_FIELD}
     * field (or column) when it has one; otherwise, when the mapping has a group column, the
     * {@link GroupSplit} rule over its group; otherwise {@code train} (as {@code mine-negatives} and
     * {@link dev.embedtune.train.eval.RetrievalTask} decide it).
     *
     * @param split the split to keep ({@code train}, {@code test}, …), or null or {@code all} for every record
     * @throws DatasetFormatException when no record has that split, naming the splits found
     */
    public static Dataset load(Path file, ColumnMapping mapping, String split) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String keep = split == null || split.equals("all") ? null : split;
        Dataset all;
        try {
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
                all = readJsonl(file, mapping, keep);
            } else if (name.endsWith(".csv")) {
                all = readDelimited(file, ',', mapping, keep);
            } else if (name.endsWith(".tsv") || name.endsWith(".tab")) {
                all = readDelimited(file, '\t', mapping, keep);
            } else {
                throw new IllegalArgumentException(file + ": unknown data file type; expected .jsonl, .csv or .tsv");
            }
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        return all;
    }

    /**
     * The column names of {@code file}: the field names of its first JSONL record, or the CSV/TSV
     * header; for choosing a default {@link ColumnMapping}.
     */
    public static List<String> columnNames(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try (BufferedReader in = Utf8Reader.lines(file)) {
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
                long lineNo = 0;
                for (String line; (line = in.readLine()) != null; ) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    return fieldNames(jsonRecord(file, lineNo, line));
                }
                throw new DatasetFormatException(file, "empty file; expected one JSON object a line");
            }
            char delimiter = name.endsWith(".csv") ? ',' : name.endsWith(".tsv") || name.endsWith(".tab") ? '\t' : 0;
            if (delimiter == 0) {
                throw new IllegalArgumentException(file + ": unknown data file type; expected .jsonl, .csv or .tsv");
            }
            DelimitedParser.Row header = new DelimitedParser(in, delimiter, file).next();
            if (header == null) {
                throw new DatasetFormatException(file, "empty file; expected a header row naming the columns");
            }
            List<String> names = new ArrayList<>(header.fields());
            if (!names.isEmpty() && names.get(0).startsWith("\uFEFF")) {
                names.set(0, names.get(0).substring(1));
            }
            return names;
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    /** An I/O error as an unchecked one whose message names the file (the cause keeps the detail). */
    private static UncheckedIOException unreadable(Path file, IOException e) {
        String m = e.getMessage();
        return new UncheckedIOException(m != null && m.contains(file.toString()) ? m : "cannot read " + file + ": "
                + (m != null ? m : e.getClass().getSimpleName()), e);
    }

    /**
     * The mapping of a file whose columns are named after roles (anchor, positive, …), else of the
     * shared files' query/passage(/group).
     *
     * @throws IllegalArgumentException naming the file and its columns when neither fits
     */
    public static ColumnMapping defaultMapping(Path file) {
        List<String> names = columnNames(file);
        if (names.contains("anchor") && names.contains("positive")) {
            return ColumnMapping.byRoleNames(names);
        }
        if (names.contains("query") && names.contains("passage")) {
            return ColumnMapping.parse("query=anchor,passage=positive" + (names.contains("group") ? ",group=group" : ""));
        }
        throw new IllegalArgumentException(file + ": cannot tell which columns to train on (found " + names
                + "); name them anchor/positive or query/passage, or give a column mapping (columns: question=anchor,answer=positive;"
                + " --columns on the command line)");
    }

    /** A record's split: its own field, else the group rule, else train. */
    private static String splitOf(String field, String group) {
        if (field != null) {
            return field;
        }
        return group != null ? GroupSplit.splitOf(group) : "train";
    }

    private static Dataset filtered(Path file, ColumnMapping mapping, List<Example> examples, List<String> splits,
            String keep) {
        String fileName = file.getFileName().toString();
        if (keep == null) {
            return new Dataset(fileName, mapping.format(), examples);
        }
        List<Example> kept = new ArrayList<>();
        java.util.Set<String> found = new java.util.TreeSet<>();
        for (int i = 0; i < examples.size(); i++) {
            found.add(splits.get(i));
            if (splits.get(i).equals(keep)) {
                kept.add(examples.get(i));
            }
        }
        if (kept.isEmpty()) {
            throw new DatasetFormatException(file, "no record has split '" + keep + "'; the splits found are " + found
                    + " (a record's split is its '" + SPLIT_FIELD + "' field, else the group rule when a group column is mapped,"
                    + " else train)");
        }
        return new Dataset(fileName + " (" + keep + ")", mapping.format(), kept);
    }

    private static Dataset readJsonl(Path file, ColumnMapping mapping, String keep) throws IOException {
        List<Example> examples = new ArrayList<>();
        List<String> splits = new ArrayList<>();
        RecordChecks checks = new RecordChecks(file, mapping);
        try (BufferedReader in = Utf8Reader.lines(file)) {
            long lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = jsonRecord(file, lineNo, line);
                final long at = lineNo;
                final JsonNode record = node;
                String groupColumn = mapping.sourceOf(Role.GROUP);
                examples.add(toExample(mapping, file, at, column -> {
                    JsonNode v = record.get(column);
                    if (column.equals(groupColumn) && (v == null || v.isNull())) {
                        return null;   // a record without a group: see the class comment
                    }
                    if (v == null) {
                        throw missing(file, at, column, mapping, fieldNames(record));
                    }
                    if (v.isNull()) {
                        throw new DatasetFormatException(file, at, "column '" + column + "' is null");
                    }
                    if ((v.isNumber() || v.isBoolean()) && mapping.textColumns().contains(column)) {
                        checks.nonText(at, column, v.asText());   // read as its text, but said
                    }
                    return v.isValueNode() ? v.asText() : v.toString();
                }, column -> {
                    JsonNode v = record.get(column);
                    return v != null && !v.isTextual() && !v.isNumber() && !v.isBoolean()
                            ? v.getNodeType().toString().toLowerCase(Locale.ROOT) : null;
                }));
                JsonNode splitNode = record.get(SPLIT_FIELD);
                if (splitNode != null && !splitNode.isNull() && !splitNode.isTextual()) {
                    throw new DatasetFormatException(file, at, "field '" + SPLIT_FIELD + "' must be text, found "
                            + splitNode.getNodeType().toString().toLowerCase(Locale.ROOT));
                }
                splits.add(splitOf(splitNode == null || splitNode.isNull() ? null : splitNode.textValue(),
                        examples.get(examples.size() - 1).group()));
                JsonNode id = record.get(ID_FIELD);
                checks.record(at, examples.get(examples.size() - 1), id == null || id.isNull() ? null : id.asText(),
                        splitNode != null && !splitNode.isNull());
            }
        }
        checks.warn(splits, keep);
        return filtered(file, mapping, examples, splits, keep);
    }

    /** One JSONL line as an object, or an error naming file and line. */
    private static JsonNode jsonRecord(Path file, long lineNo, String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new DatasetFormatException(file, lineNo, "not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new DatasetFormatException(file, lineNo, "expected a JSON object, found "
                    + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        return node;
    }

    private static List<String> fieldNames(JsonNode record) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = record.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    private static Dataset readDelimited(Path file, char delimiter, ColumnMapping mapping, String keep) throws IOException {
        List<Example> examples = new ArrayList<>();
        List<String> splits = new ArrayList<>();
        RecordChecks checks = new RecordChecks(file, mapping);
        try (BufferedReader in = Utf8Reader.lines(file)) {
            DelimitedParser parser = new DelimitedParser(in, delimiter, file);
            DelimitedParser.Row header = parser.next();
            if (header == null) {
                throw new DatasetFormatException(file, "empty file; expected a header row naming the columns");
            }
            List<String> names = header.fields();
            if (!names.isEmpty() && names.get(0).startsWith("\uFEFF")) {
                names = new ArrayList<>(names);
                names.set(0, names.get(0).substring(1)); // a UTF-8 byte-order mark, as spreadsheet exports write
            }
            for (String column : mapping.sources()) {
                if (!names.contains(column)) {
                    throw missing(file, header.line(), column, mapping, names);
                }
                if (names.indexOf(column) != names.lastIndexOf(column)) {
                    throw new DatasetFormatException(file, header.line(), "column '" + column
                            + "' appears more than once in the header " + names + "; which one is meant is unclear");
                }
            }
            final List<String> columns = names;
            for (DelimitedParser.Row row; (row = parser.next()) != null; ) {
                if (row.fields().size() != columns.size()) {
                    throw new DatasetFormatException(file, row.line(), "expected " + columns.size()
                            + " fields as in the header, found " + row.fields().size());
                }
                final List<String> fields = row.fields();
                examples.add(toExample(mapping, file, row.line(),
                        column -> fields.get(columns.indexOf(column)), column -> null));
                int splitColumn = columns.indexOf(SPLIT_FIELD);
                String field = splitColumn < 0 || fields.get(splitColumn).isEmpty() ? null : fields.get(splitColumn);
                splits.add(splitOf(field, examples.get(examples.size() - 1).group()));
                int idColumn = columns.indexOf(ID_FIELD);
                checks.record(row.line(), examples.get(examples.size() - 1),
                        idColumn < 0 || fields.get(idColumn).isEmpty() ? null : fields.get(idColumn), field != null);
            }
        }
        checks.warn(splits, keep);
        return filtered(file, mapping, examples, splits, keep);
    }

    private static DatasetFormatException missing(Path file, long line, String column, ColumnMapping mapping,
            List<String> found) {
        return new DatasetFormatException(file, line, "column '" + column + "' (mapped to "
                + mapping.columns().get(column).key() + ") is missing; found columns " + found
                + "; mapping " + mapping);
    }

    private interface Field {
        String get(String column);
    }

    private static Example toExample(ColumnMapping mapping, Path file, long line, Field field, Field badType) {
        List<String> texts = new ArrayList<>();
        for (String column : mapping.textColumns()) {
            String type = badType.get(column);
            if (type != null) {
                throw new DatasetFormatException(file, line, "column '" + column + "' must be text, found " + type);
            }
            texts.add(field.get(column));
        }
        Double label = null;
        String scoreColumn = mapping.sourceOf(Role.SCORE);
        String labelColumn = mapping.sourceOf(Role.LABEL);
        if (scoreColumn != null) {
            String raw = field.get(scoreColumn).trim();
            try {
                label = Double.parseDouble(raw);
            } catch (NumberFormatException e) {
                label = null;
            }
            if (label == null || !Double.isFinite(label)) {
                throw new DatasetFormatException(file, line, "column '" + scoreColumn
                        + "' (score) must be a finite number, found '" + raw + "'");
            }
        }
        if (labelColumn != null) {
            String raw = field.get(labelColumn).trim();
            label = switch (raw) {
                case "0", "0.0", "false" -> 0.0;
                case "1", "1.0", "true" -> 1.0;
                default -> throw new DatasetFormatException(file, line, "column '" + labelColumn
                        + "' (label) must be 0 or 1, found '" + raw + "'");
            };
        }
        String groupColumn = mapping.sourceOf(Role.GROUP);
        String group = groupColumn == null ? null : field.get(groupColumn);
        if (group != null && group.isEmpty()) {
            group = null;   // an empty CSV/TSV cell: no group
        }
        return new Example(texts, label, group);
    }
}
