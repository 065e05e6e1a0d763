package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How much training a trial may use, and where successive halving judges it. A trial trains for at
 * most {@link #max} units ({@link Unit#STEPS optimizer steps} or {@link Unit#EPOCHS epochs}); it is
 * judged at the rungs {@code min·η^k < max} ({@link #rungs()}), e.g. min 100, η 3, max 2700:
 * rungs 100, 300, 900, then complete at 2700. {@code min == max} means no rungs: plain random search.
 * Spec form: {@code budget: {unit: steps, min: 100, max: 2700, reduction_factor: 3}}.
 *
 * @param reductionFactor η: at each rung the best 1/η continue (Li et al. 2018, arXiv:1810.05934, use 3 or 4)
 */
public record Budget(Unit unit, long min, long max, int reductionFactor) {

    /** What the budget counts. */
    public enum Unit { STEPS, EPOCHS }

    public Budget {
        if (unit == null) {
            throw new IllegalArgumentException("budget unit must be steps or epochs");
        }
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("budget needs 1 <= min <= max, got min " + min + ", max " + max);
        }
        if (reductionFactor < 2) {
            throw new IllegalArgumentException("budget reduction_factor must be >= 2, got " + reductionFactor);
        }
    }

    /** The resources at which a trial is compared with the others, ascending; the last is below {@link #max}. */
    public List<Long> rungs() {
        List<Long> rungs = new ArrayList<>();
        for (long r = min; r < max; r = Math.multiplyExact(r, reductionFactor)) {
            rungs.add(r);
            if (r > Long.MAX_VALUE / reductionFactor) {
                break;
            }
        }
        return rungs;
    }

    public ObjectNode toSpec() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("unit", unit.name().toLowerCase(Locale.ROOT));
        o.put("min", min);
        o.put("max", max);
        o.put("reduction_factor", reductionFactor);
        return o;
    }

    /** Reads the {@code budget} object; {@code reduction_factor} defaults to 3. */
    public static Budget parse(JsonNode node, String source, String field) {
        if (node == null || !node.isObject()) {
            throw new SpaceFormatException(source, field, "expected {unit: steps|epochs, min: N, max: N, reduction_factor: 3}, found " + node);
        }
        Set<String> keys = Set.of("unit", "min", "max", "reduction_factor");
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw new SpaceFormatException(source, field + "." + k, "unknown key; expected " + keys);
            }
        }
        JsonNode unit = node.get("unit");
        Unit u;
        if (unit == null || !unit.isTextual()) {
            throw new SpaceFormatException(source, field + ".unit", "expected steps or epochs, found " + unit);
        }
        try {
            u = Unit.valueOf(unit.textValue().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SpaceFormatException(source, field + ".unit", "expected steps or epochs, found \"" + unit.textValue() + "\"");
        }
        long min = positiveLong(node, "min", source, field);
        long max = positiveLong(node, "max", source, field);
        if (max < min) {
            throw new SpaceFormatException(source, field + ".max", "expected max >= min (" + min + "), found " + max);
        }
        JsonNode eta = node.get("reduction_factor");
        int reduction = 3;
        if (eta != null) {
            if (!eta.isIntegralNumber() || eta.intValue() < 2) {
                throw new SpaceFormatException(source, field + ".reduction_factor", "expected an integer >= 2, found " + eta);
            }
            reduction = eta.intValue();
        }
        return new Budget(u, min, max, reduction);
    }

    private static long positiveLong(JsonNode node, String key, String source, String field) {
        JsonNode v = node.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1) {
            throw new SpaceFormatException(source, field + "." + key, "expected a positive integer, found " + v);
        }
        return v.longValue();
    }
}
