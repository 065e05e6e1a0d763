package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.app.hpo.Dimension.Choice;
import dev.embedtune.app.hpo.Dimension.Kind;
import dev.embedtune.app.hpo.Dimension.LogUniform;
import dev.embedtune.app.hpo.Dimension.Tied;
import dev.embedtune.app.hpo.Dimension.Uniform;
import dev.embedtune.app.hpo.ParamValue.FloatValue;
import dev.embedtune.app.hpo.ParamValue.IntListValue;
import dev.embedtune.app.hpo.ParamValue.IntValue;
import dev.embedtune.app.hpo.ParamValue.StringValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The hyperparameters a study searches, in the order they were declared. Spec form (the
 * {@code parameters} object of a space file, YAML or JSON):
 * <pre>{@code
 * learning_rate:   {log_uniform: [1.0e-5, 1.0e-3]}
 * lora_rank:       {choices: [4, 8, 16, 32]}
 * lora_alpha:      {tied_to: lora_rank, factor: 2}     # or its own {choices: [...]}
 * batch_size:      {choices: [16, 32, 64]}
 * epochs:          1                                   # a bare value is a constant
 * loss:            {choices: [MultipleNegativesRankingLoss, CachedMultipleNegativesRankingLoss]}
 * matryoshka_dims: {choices: ["384,256,128,64", [384]]}
 * base_model:      {choices: [models/minilm, models/bge-small]}
 * }</pre>
 * The names the trainer reads ({@link TrialSettings#KNOWN_KINDS}) must have their type (an integer
 * rank, a float learning rate, ...); any other name is accepted with the type its values have, so a
 * trainer can add e.g. {@code warmup_ratio: {uniform: [0, 0.2]}} without changing this class.
 */
public final class SearchSpace {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Dimension> dimensions;

    public SearchSpace(List<Dimension> dimensions) {
        Map<String, Dimension> byName = new LinkedHashMap<>();
        for (Dimension d : dimensions) {
            if (byName.put(d.name(), d) != null) {
                throw new IllegalArgumentException("hyperparameter " + d.name() + " is declared twice");
            }
        }
        for (Dimension d : byName.values()) {
            Kind expected = TrialSettings.KNOWN_KINDS.get(d.name());
            if (expected != null && expected != d.kind()) {
                throw new IllegalArgumentException(d.name() + " must have " + describe(expected) + " values, got " + describe(d.kind()));
            }
            if (d instanceof Tied t) {
                Dimension source = byName.get(t.source());
                if (source == null) {
                    throw new IllegalArgumentException(d.name() + " is tied to " + t.source() + ", which is not declared; declared: " + byName.keySet());
                }
                if (source instanceof Tied || !(source.kind() == Kind.INT || source.kind() == Kind.FLOAT)) {
                    throw new IllegalArgumentException(d.name() + " is tied to " + t.source() + ", which must be a searched number (not " +
                            (source instanceof Tied ? "itself tied" : describe(source.kind())) + ")");
                }
            }
        }
        if (byName.isEmpty()) {
            throw new IllegalArgumentException("a search space needs at least one hyperparameter");
        }
        this.dimensions = java.util.Collections.unmodifiableMap(byName);
    }

    /** The dimensions by name, in declaration order. */
    public Map<String, Dimension> dimensions() {
        return dimensions;
    }

    /**
     * Draws one setting of every hyperparameter: each searched dimension consumes one draw in
     * declaration order, then tied ones are computed; the result keeps declaration order.
     */
    public TrialSettings sample(SplittableRandom random) {
        Map<String, ParamValue> drawn = new LinkedHashMap<>();
        for (Dimension d : dimensions.values()) {
            if (!(d instanceof Tied)) {
                drawn.put(d.name(), d.sample(random, drawn));
            }
        }
        Map<String, ParamValue> ordered = new LinkedHashMap<>();
        for (Dimension d : dimensions.values()) {
            ordered.put(d.name(), d instanceof Tied ? d.sample(random, drawn) : drawn.get(d.name()));
        }
        return new TrialSettings(ordered);
    }

    /** The spec form, which {@link #parse} reads back to an equal space. */
    public ObjectNode toSpec() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        dimensions.forEach((name, d) -> o.set(name, d.toSpec()));
        return o;
    }

    /** Settings written by {@link TrialSettings#toJson()}, decoded with each dimension's type. */
    public TrialSettings decodeSettings(JsonNode node, String source, String field) {
        if (!node.isObject()) {
            throw new SpaceFormatException(source, field, "expected an object of hyperparameter values, found " + node);
        }
        Map<String, ParamValue> values = new LinkedHashMap<>();
        for (Dimension d : dimensions.values()) {
            JsonNode v = node.get(d.name());
            if (v == null) {
                throw new SpaceFormatException(source, field + "." + d.name(), "missing (the study's space declares it)");
            }
            values.put(d.name(), d.decode(v, source, field + "." + d.name()));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!dimensions.containsKey(name)) {
                throw new SpaceFormatException(source, field + "." + name, "not in the study's space " + dimensions.keySet());
            }
        }
        return new TrialSettings(values);
    }

    /**
     * Reads the {@code parameters} object of a space file.
     *
     * @param source the file name, for messages
     * @param field  the path of {@code node} in the file, for messages (e.g. {@code parameters})
     * @throws SpaceFormatException naming the file, the field and what was expected
     */
    public static SearchSpace parse(JsonNode node, String source, String field) {
        if (node == null || !node.isObject() || node.isEmpty()) {
            throw new SpaceFormatException(source, field, "expected an object mapping each hyperparameter name to its range, found " + node);
        }
        List<Dimension> dims = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            dims.add(parseDimension(e.getKey(), e.getValue(), source, field + "." + e.getKey()));
        }
        try {
            return new SearchSpace(dims);
        } catch (IllegalArgumentException e) {
            throw new SpaceFormatException(source, field, e.getMessage());
        }
    }

    private static final String FORMS = "{log_uniform: [low, high]}, {uniform: [low, high]}, {choices: [...]}, "
            + "{tied_to: NAME, factor: F} or a bare value";

    private static Dimension parseDimension(String name, JsonNode node, String source, String field) {
        Kind expected = TrialSettings.KNOWN_KINDS.get(name);
        if (!node.isObject()) {
            return choice(name, expected, List.of(node), source, field, field);
        }
        if (node.size() == 0) {
            throw new SpaceFormatException(source, field, "expected one of " + FORMS + ", found {}");
        }
        String form = node.fieldNames().next();
        List<String> allowed = switch (form) {
            case "log_uniform", "uniform", "choices" -> List.of(form);
            case "tied_to", "factor" -> List.of("tied_to", "factor");
            default -> throw new SpaceFormatException(source, field + "." + form, "unknown form; expected one of " + FORMS);
        };
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw new SpaceFormatException(source, field + "." + key, "unexpected next to " + form + "; expected only " + allowed);
            }
        }
        Dimension d = switch (form) {
            case "log_uniform", "uniform" -> {
                JsonNode range = node.get(form);
                String f = field + "." + form;
                if (!range.isArray() || range.size() != 2 || !range.get(0).isNumber() || !range.get(1).isNumber()) {
                    throw new SpaceFormatException(source, f, "expected [low, high], two numbers, found " + range);
                }
                double low = range.get(0).doubleValue();
                double high = range.get(1).doubleValue();
                if (form.equals("log_uniform") && !(low > 0 && high > low)) {
                    throw new SpaceFormatException(source, f, "expected 0 < low < high, found [" + low + ", " + high + "]");
                }
                if (!(high > low)) {
                    throw new SpaceFormatException(source, f, "expected low < high, found [" + low + ", " + high + "]");
                }
                yield form.equals("log_uniform") ? new LogUniform(name, low, high) : new Uniform(name, low, high);
            }
            case "choices" -> {
                JsonNode list = node.get("choices");
                if (!list.isArray() || list.isEmpty()) {
                    throw new SpaceFormatException(source, field + ".choices", "expected a non-empty list, found " + list);
                }
                List<JsonNode> items = new ArrayList<>();
                list.forEach(items::add);
                yield choice(name, expected, items, source, field, field + ".choices");
            }
            default -> {
                JsonNode to = node.get("tied_to");
                JsonNode factor = node.get("factor");
                if (to == null || !to.isTextual()) {
                    throw new SpaceFormatException(source, field + ".tied_to", "expected the name of another hyperparameter, found " + to);
                }
                if (factor == null || !factor.isNumber() || !(factor.doubleValue() > 0)) {
                    throw new SpaceFormatException(source, field + ".factor", "expected a positive number, found " + factor);
                }
                yield new Tied(name, to.textValue(), factor.doubleValue());
            }
        };
        if (expected != null && expected != d.kind()) {
            throw new SpaceFormatException(source, field, "expected " + describe(expected) + " values, found " + describe(d.kind()));
        }
        return d;
    }

    /** Reads a list of choices; the kind is the known name's kind, else what every item has in common. */
    private static Choice choice(String name, Kind expected, List<JsonNode> items, String source, String field, String listField) {
        Kind kind = expected != null ? expected : inferKind(items, source, listField);
        List<ParamValue> values = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String f = items.size() == 1 && listField.equals(field) ? field : listField + "[" + i + "]";
            values.add(choiceValue(kind, expected != null, items.get(i), source, f));
        }
        if (values.stream().distinct().count() != values.size()) {
            throw new SpaceFormatException(source, listField, "expected distinct choices, found a repeated one in " + items);
        }
        return new Choice(name, kind, values);
    }

    private static Kind inferKind(List<JsonNode> items, String source, String field) {
        if (items.stream().allMatch(JsonNode::isIntegralNumber)) {
            return Kind.INT;
        }
        if (items.stream().allMatch(JsonNode::isNumber)) {
            return Kind.FLOAT;
        }
        if (items.stream().allMatch(JsonNode::isTextual)) {
            return Kind.STRING;
        }
        if (items.stream().allMatch(JsonNode::isArray)) {
            return Kind.INT_LIST;
        }
        throw new SpaceFormatException(source, field, "expected choices of one type (all integers, numbers, strings or lists), found " + items);
    }

    /** {@code known}: a name the trainer reads, whose integers (rank, batch size, epochs) must be positive. */
    private static ParamValue choiceValue(Kind kind, boolean known, JsonNode v, String source, String field) {
        switch (kind) {
            case FLOAT -> {
                if (!v.isNumber()) {
                    throw new SpaceFormatException(source, field, "expected a number, found " + v);
                }
                return new FloatValue(v.doubleValue());
            }
            case INT -> {
                if (!v.isIntegralNumber() || !v.canConvertToInt() || (known && v.intValue() <= 0)) {
                    throw new SpaceFormatException(source, field, "expected " + (known ? "a positive" : "an") + " integer, found " + v);
                }
                return new IntValue(v.intValue());
            }
            case STRING -> {
                if (!v.isTextual() || v.textValue().isEmpty()) {
                    throw new SpaceFormatException(source, field, "expected a non-empty string, found " + v);
                }
                return new StringValue(v.textValue());
            }
            default -> {
                return new IntListValue(intList(v, source, field));
            }
        }
    }

    /** {@code [384, 256]} or {@code "384,256"}: positive integers, at least one. */
    private static List<Integer> intList(JsonNode v, String source, String field) {
        List<Integer> out = new ArrayList<>();
        if (v.isTextual()) {
            for (String part : v.textValue().split(",", -1)) {
                try {
                    out.add(Integer.parseInt(part.trim()));
                } catch (NumberFormatException e) {
                    throw new SpaceFormatException(source, field, "expected comma-separated integers like \"384,256,128\", found \"" + v.textValue() + "\"");
                }
            }
        } else if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isIntegralNumber() || !v.get(i).canConvertToInt()) {
                    throw new SpaceFormatException(source, field + "[" + i + "]", "expected an integer, found " + v.get(i));
                }
                out.add(v.get(i).intValue());
            }
        } else {
            throw new SpaceFormatException(source, field, "expected a list of integers ([384, 256] or \"384,256\"), found " + v);
        }
        if (out.isEmpty() || out.stream().anyMatch(x -> x <= 0)) {
            throw new SpaceFormatException(source, field, "expected at least one positive integer, found " + v);
        }
        return out;
    }

    private static String describe(Kind k) {
        return switch (k) {
            case FLOAT -> "number";
            case INT -> "integer";
            case STRING -> "string";
            case INT_LIST -> "integer-list";
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SearchSpace s && s.dimensions.equals(dimensions);
    }

    @Override
    public int hashCode() {
        return dimensions.hashCode();
    }

    @Override
    public String toString() {
        return toSpec().toString();
    }
}
