package dev.embedtune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * Typed access to a {@code tokenizer.json} tree that names the JSON path in every error. Each
 * component's {@code fromJson} reads its fields through this, so a missing or mistyped field
 * reads e.g. {@code tokenizer.json: model.vocab: expected an object, found "abc"}.
 */
record Json(JsonNode node, String path, String source) {

    static Json root(JsonNode node, String source) {
        return new Json(node, "", source);
    }

    Json field(String name) {
        JsonNode child = node.get(name);
        String childPath = path.isEmpty() ? name : path + "." + name;
        if (child == null || child.isNull()) {
            throw error(childPath, "required field is missing");
        }
        return new Json(child, childPath, source);
    }

    /** The field, or null when it is absent or JSON null. */
    Json optional(String name) {
        JsonNode child = node.get(name);
        if (child == null || child.isNull()) return null;
        return new Json(child, path.isEmpty() ? name : path + "." + name, source);
    }

    Json element(int i) {
        return new Json(node.get(i), path + "[" + i + "]", source);
    }

    boolean has(String name) {
        JsonNode child = node.get(name);
        return child != null && !child.isNull();
    }

    int size() {
        return node.size();
    }

    Json expectObject() {
        if (!node.isObject()) throw error(path, "expected an object, found " + describe(node));
        return this;
    }

    Json expectArray() {
        if (!node.isArray()) throw error(path, "expected an array, found " + describe(node));
        return this;
    }

    String asText() {
        if (!node.isTextual()) throw error(path, "expected a string, found " + describe(node));
        return node.textValue();
    }

    int asInt() {
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw error(path, "expected an integer, found " + describe(node));
        }
        return node.intValue();
    }

    boolean asBoolean() {
        if (!node.isBoolean()) throw error(path, "expected true or false, found " + describe(node));
        return node.booleanValue();
    }

    String text(String name) {
        return field(name).asText();
    }

    String text(String name, String fallback) {
        Json f = optional(name);
        return f == null ? fallback : f.asText();
    }

    int integer(String name, int fallback) {
        Json f = optional(name);
        return f == null ? fallback : f.asInt();
    }

    boolean bool(String name, boolean fallback) {
        Json f = optional(name);
        return f == null ? fallback : f.asBoolean();
    }

    /** Null when absent or JSON null (a tri-state flag such as {@code strip_accents}). */
    Boolean boolOrNull(String name) {
        Json f = optional(name);
        return f == null ? null : f.asBoolean();
    }

    /** The {@code type} discriminator of a component. */
    String type() {
        return field("type").asText();
    }

    TokenizerFormatException unknownType(String found, List<String> supported) {
        String p = path.isEmpty() ? "type" : path + ".type";
        return error(p, "unknown component \"" + found + "\", expected one of " + supported);
    }

    TokenizerFormatException error(String message) {
        return error(path, message);
    }

    TokenizerFormatException error(String at, String message) {
        return new TokenizerFormatException(source + ": " + (at.isEmpty() ? "<root>" : at) + ": " + message);
    }

    private static String describe(JsonNode n) {
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
