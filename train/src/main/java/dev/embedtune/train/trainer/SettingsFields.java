package dev.embedtune.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Typed reads of one object of a settings file (a run specification or training arguments), with
 * errors that name the file and the key path ({@code run.yaml: mining.num_negatives must be an
 * integer, found "3"}). A key whose value is {@code null} counts as absent.
 *
 * @param node the object read
 * @param source the file (or command) the object came from, first in every message
 * @param prefix the key path of the object, e.g. {@code "mining."}, or empty at the top level
 */
public record SettingsFields(JsonNode node, String source, String prefix) {

    public boolean has(String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    /** An error about {@code key}: {@code source: prefix.key message}. */
    public IllegalArgumentException error(String key, String message) {
        return new IllegalArgumentException(source + ": " + prefix + key + " " + message);
    }

    private IllegalArgumentException wrong(String key, String expected) {
        return error(key, "must be " + expected + ", found " + node.get(key));
    }

    /** A number; a numeric string too, since YAML 1.1 reads {@code 5e-5} (no dot) as a string. */
    public double number(String key) {
        JsonNode n = node.get(key);
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isTextual()) {
            try {
                return Double.parseDouble(n.textValue().trim());
            } catch (NumberFormatException e) {
                throw wrong(key, "a number");
            }
        }
        throw wrong(key, "a number");
    }

    public int integer(String key) {
        JsonNode n = node.get(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw wrong(key, "an integer");
        }
        return n.intValue();
    }

    public long longInteger(String key) {
        JsonNode n = node.get(key);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw wrong(key, "an integer");
        }
        return n.longValue();
    }

    public boolean bool(String key) {
        JsonNode n = node.get(key);
        if (!n.isBoolean()) {
            throw wrong(key, "true or false");
        }
        return n.booleanValue();
    }

    public String text(String key) {
        JsonNode n = node.get(key);
        if (!n.isTextual()) {
            throw wrong(key, "a string");
        }
        return n.textValue();
    }

    /** A list of names, a single name, or a comma-separated string of names. */
    public List<String> textList(String key) {
        JsonNode n = node.get(key);
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            for (String s : n.textValue().split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
            return out;
        }
        if (!n.isArray()) {
            throw wrong(key, "a list of names such as [query, value]");
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw wrong(key, "a list of names such as [query, value]");
            }
            out.add(e.textValue());
        }
        return out;
    }

    /** A list of integers, a single integer, or a comma-separated string of them. */
    public List<Integer> intList(String key) {
        JsonNode n = node.get(key);
        List<Integer> out = new ArrayList<>();
        if (n.isIntegralNumber() && n.canConvertToInt()) {
            return List.of(n.intValue());
        }
        if (n.isTextual()) {
            try {
                for (String s : n.textValue().split(",")) {
                    if (!s.isBlank()) {
                        out.add(Integer.parseInt(s.trim()));
                    }
                }
                return out;
            } catch (NumberFormatException e) {
                throw wrong(key, "a list of integers such as [384, 256, 128, 64]");
            }
        }
        if (!n.isArray()) {
            throw wrong(key, "a list of integers such as [384, 256, 128, 64]");
        }
        for (JsonNode e : n) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw wrong(key, "a list of integers such as [384, 256, 128, 64]");
            }
            out.add(e.intValue());
        }
        return out;
    }

    /** A string turned into a value by {@code parser}, whose IllegalArgumentException is prefixed by file and key. */
    public <T> T parsed(String key, Function<String, T> parser) {
        String s = text(key);
        try {
            return parser.apply(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + prefix + key + ": " + e.getMessage(), e);
        }
    }
}
