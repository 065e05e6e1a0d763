package dev.embedtune.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Reads a {@link Dataset} from JSONL ({@code .jsonl}, one object a line), CSV ({@code .csv}) or TSV
 * ({@code .tsv}, {@code .tab}); CSV and TSV need a header row naming the columns. Every record is
 * read through a {@link ColumnMapping}; a missing column, a non-text text field, a score that is no
 * number or a label other than 0/1 throws a {@link DatasetFormatException} naming file, line and column.
 */
public final class DatasetLoader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetLoader() {}

    /** Reads {@code file} with the given mapping; the file type comes from its extension. */
    public static Dataset load(Path file, ColumnMapping mapping) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
                return readJsonl(file, mapping);
            }
            if (name.endsWith(".csv")) {
                return readDelimited(file, ',', mapping);
            }
            if (name.endsWith(".tsv") || name.endsWith(".tab")) {
                return readDelimited(file, '\t', mapping);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        throw new IllegalArgumentException(file + ": unknown data file type; expected .jsonl, .csv or .tsv");
    }

    private static Dataset readJsonl(Path file, ColumnMapping mapping) throws IOException {
        List<Example> examples = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
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
                final long at = lineNo;
                final JsonNode record = node;
                examples.add(toExample(mapping, file, at, column -> {
                    JsonNode v = record.get(column);
                    if (v == null) {
                        throw missing(file, at, column, mapping, fieldNames(record));
                    }
                    if (v.isNull()) {
                        throw new DatasetFormatException(file, at, "column '" + column + "' is null");
                    }
                    return v.isValueNode() ? v.asText() : v.toString();
                }, column -> {
                    JsonNode v = record.get(column);
                    return v != null && !v.isTextual() && !v.isNumber() && !v.isBoolean()
                            ? v.getNodeType().toString().toLowerCase(Locale.ROOT) : null;
                }));
            }
        }
        return new Dataset(file.getFileName().toString(), mapping.format(), examples);
    }

    private static List<String> fieldNames(JsonNode record) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = record.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    private static Dataset readDelimited(Path file, char delimiter, ColumnMapping mapping) throws IOException {
        List<Example> examples = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
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
            }
        }
        return new Dataset(file.getFileName().toString(), mapping.format(), examples);
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
        return new Example(texts, label, group);
    }
}
