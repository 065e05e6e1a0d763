package dev.embedtune.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedtune.model.ModelFormatException;
import java.nio.file.Path;

/** Typed reads of JSON fields with errors that name the file, the field and what was expected. */
public final class JsonFields {
    private final Path file;
    private final JsonNode node;

    public JsonFields(Path file, JsonNode node) {
        this.file = file;
        this.node = node;
    }

    public boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    public int requiredInt(String field) throws ModelFormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new ModelFormatException(file, "missing field \"" + field + "\" (an integer)");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelFormatException(file, "field \"" + field + "\" should be an integer, found " + v);
        }
        return v.intValue();
    }

    public int optionalInt(String field, int fallback) throws ModelFormatException {
        return has(field) ? requiredInt(field) : fallback;
    }

    public double requiredDouble(String field) throws ModelFormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new ModelFormatException(file, "missing field \"" + field + "\" (a number)");
        }
        if (!v.isNumber()) {
            throw new ModelFormatException(file, "field \"" + field + "\" should be a number, found " + v);
        }
        return v.doubleValue();
    }

    public double optionalDouble(String field, double fallback) throws ModelFormatException {
        return has(field) ? requiredDouble(field) : fallback;
    }

    public boolean optionalBoolean(String field, boolean fallback) throws ModelFormatException {
        if (!has(field)) {
            return fallback;
        }
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw new ModelFormatException(file, "field \"" + field + "\" should be true or false, found " + v);
        }
        return v.booleanValue();
    }

    public String requiredString(String field) throws ModelFormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new ModelFormatException(file, "missing field \"" + field + "\" (a string)");
        }
        if (!v.isTextual()) {
            throw new ModelFormatException(file, "field \"" + field + "\" should be a string, found " + v);
        }
        return v.textValue();
    }

    public String optionalString(String field, String fallback) throws ModelFormatException {
        return has(field) ? requiredString(field) : fallback;
    }
}
