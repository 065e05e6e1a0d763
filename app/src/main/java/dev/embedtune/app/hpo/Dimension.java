package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.app.hpo.ParamValue.FloatValue;
import dev.embedtune.app.hpo.ParamValue.IntListValue;
import dev.embedtune.app.hpo.ParamValue.IntValue;
import dev.embedtune.app.hpo.ParamValue.StringValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One axis of a {@link SearchSpace}: how a hyperparameter is sampled, and how its sampled value is
 * written to and read back from a study file. The spec form (YAML/JSON) of each is given on the record.
 */
public sealed interface Dimension {

    /** The type of the values a dimension produces. */
    enum Kind { FLOAT, INT, STRING, INT_LIST }

    /** The hyperparameter's name, e.g. {@code learning_rate}. */
    String name();

    Kind kind();

    /**
     * Draws a value. {@code sampled} holds the values already drawn for this trial (in the space's
     * order), which is what a {@link Tied} dimension reads.
     */
    ParamValue sample(SplittableRandom random, Map<String, ParamValue> sampled);

    /** Whether more than one value is possible (a constant is reported but not plotted). */
    boolean varies();

    /** Whether plots should use a logarithmic axis for this dimension. */
    default boolean logScale() {
        return false;
    }

    /** The spec form, as {@link SearchSpace#parse} reads it. */
    JsonNode toSpec();

    /** Reads back a value this dimension wrote ({@link ParamValue#toJava}), checking its type. */
    default ParamValue decode(JsonNode node, String source, String field) {
        return switch (kind()) {
            case FLOAT -> {
                if (!node.isNumber()) {
                    throw new SpaceFormatException(source, field, "expected a number, found " + node);
                }
                yield new FloatValue(node.doubleValue());
            }
            case INT -> {
                if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                    throw new SpaceFormatException(source, field, "expected an integer, found " + node);
                }
                yield new IntValue(node.intValue());
            }
            case STRING -> {
                if (!node.isTextual()) {
                    throw new SpaceFormatException(source, field, "expected a string, found " + node);
                }
                yield new StringValue(node.textValue());
            }
            case INT_LIST -> {
                if (!node.isArray()) {
                    throw new SpaceFormatException(source, field, "expected an array of integers, found " + node);
                }
                List<Integer> values = new ArrayList<>();
                for (int i = 0; i < node.size(); i++) {
                    JsonNode e = node.get(i);
                    if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                        throw new SpaceFormatException(source, field + "[" + i + "]", "expected an integer, found " + e);
                    }
                    values.add(e.intValue());
                }
                yield new IntListValue(values);
            }
        };
    }

    /** {@code {log_uniform: [low, high]}}: {@code exp(U(ln low, ln high))}, for learning rates. */
    record LogUniform(String name, double low, double high) implements Dimension {
        public LogUniform {
            if (!(low > 0 && high > low && Double.isFinite(high))) {
                throw new IllegalArgumentException(name + ": log_uniform needs 0 < low < high, got [" + low + ", " + high + "]");
            }
        }

        @Override
        public Kind kind() {
            return Kind.FLOAT;
        }

        @Override
        public ParamValue sample(SplittableRandom random, Map<String, ParamValue> sampled) {
            double u = random.nextDouble();
            return new FloatValue(Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low))));
        }

        @Override
        public boolean varies() {
            return true;
        }

        @Override
        public boolean logScale() {
            return true;
        }

        @Override
        public JsonNode toSpec() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.putArray("log_uniform").add(low).add(high);
            return o;
        }
    }

    /** {@code {uniform: [low, high]}}: a float drawn uniformly, e.g. a warm-up ratio. */
    record Uniform(String name, double low, double high) implements Dimension {
        public Uniform {
            if (!(high > low && Double.isFinite(low) && Double.isFinite(high))) {
                throw new IllegalArgumentException(name + ": uniform needs low < high, got [" + low + ", " + high + "]");
            }
        }

        @Override
        public Kind kind() {
            return Kind.FLOAT;
        }

        @Override
        public ParamValue sample(SplittableRandom random, Map<String, ParamValue> sampled) {
            return new FloatValue(low + random.nextDouble() * (high - low));
        }

        @Override
        public boolean varies() {
            return true;
        }

        @Override
        public JsonNode toSpec() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.putArray("uniform").add(low).add(high);
            return o;
        }
    }

    /**
     * {@code {choices: [...]}} (or a bare value, a single choice): one of a list, uniformly. The
     * values' kind is the dimension's kind: integers (rank, batch size, epochs), floats, strings (loss,
     * base model directory) or integer lists (Matryoshka dimensions).
     */
    record Choice(String name, Kind kind, List<ParamValue> values) implements Dimension {
        public Choice {
            values = List.copyOf(values);
            if (values.isEmpty()) {
                throw new IllegalArgumentException(name + ": choices must not be empty");
            }
        }

        @Override
        public ParamValue sample(SplittableRandom random, Map<String, ParamValue> sampled) {
            // One draw even for a constant, so adding a value to one list does not shift the others'.
            return values.get(random.nextInt(values.size()));
        }

        @Override
        public boolean varies() {
            return values.size() > 1;
        }

        @Override
        public boolean logScale() {
            // Ranks and batch sizes are powers of two: a log axis spaces them evenly.
            if (kind != Kind.INT || values.size() < 3) {
                return false;
            }
            return values.stream().allMatch(v -> ((IntValue) v).value() > 0 && Integer.bitCount(((IntValue) v).value()) == 1);
        }

        @Override
        public JsonNode toSpec() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            var array = o.putArray("choices");
            for (ParamValue v : values) {
                array.add(SearchSpace.JSON.<JsonNode>valueToTree(v.toJava()));
            }
            return o;
        }
    }

    /**
     * {@code {tied_to: lora_rank, factor: 2}}: {@code factor × value of another dimension}, not
     * searched on its own — the common {@code lora_alpha = 2·r} convention.
     */
    record Tied(String name, String source, double factor) implements Dimension {
        public Tied {
            if (!(factor > 0 && Double.isFinite(factor))) {
                throw new IllegalArgumentException(name + ": factor must be a positive number, got " + factor);
            }
        }

        @Override
        public Kind kind() {
            return Kind.FLOAT;
        }

        @Override
        public ParamValue sample(SplittableRandom random, Map<String, ParamValue> sampled) {
            ParamValue v = sampled.get(source);
            if (v instanceof IntValue i) {
                return new FloatValue(factor * i.value());
            }
            if (v instanceof FloatValue f) {
                return new FloatValue(factor * f.value());
            }
            // SearchSpace checks the source exists, is numeric and comes first, so this is a bug.
            throw new IllegalStateException(name + " is tied to " + source + ", whose sampled value is " + v);
        }

        @Override
        public boolean varies() {
            return true;
        }

        @Override
        public JsonNode toSpec() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("tied_to", source);
            o.put("factor", factor);
            return o;
        }
    }
}
