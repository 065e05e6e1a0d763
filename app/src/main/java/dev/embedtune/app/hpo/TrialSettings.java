package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.app.hpo.Dimension.Kind;
import dev.embedtune.app.hpo.ParamValue.FloatValue;
import dev.embedtune.app.hpo.ParamValue.IntListValue;
import dev.embedtune.app.hpo.ParamValue.IntValue;
import dev.embedtune.app.hpo.ParamValue.StringValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hyperparameters sampled for one trial, by name in the space's declaration order, with typed
 * accessors. The names a trainer reads have constants and accessors ({@link #learningRate()},
 * {@link #loraRank()}, ...); a name the space does not declare is an error naming what it does
 * declare, never a silent default.
 */
public final class TrialSettings {

    public static final String LEARNING_RATE = "learning_rate";
    public static final String LORA_RANK = "lora_rank";
    public static final String LORA_ALPHA = "lora_alpha";
    public static final String BATCH_SIZE = "batch_size";
    public static final String EPOCHS = "epochs";
    public static final String LOSS = "loss";
    public static final String MATRYOSHKA_DIMS = "matryoshka_dims";
    public static final String BASE_MODEL = "base_model";

    public static final String LORA_R = "lora_r";
    public static final String PER_DEVICE_TRAIN_BATCH_SIZE = "per_device_train_batch_size";
    public static final String GRADIENT_ACCUMULATION_STEPS = "gradient_accumulation_steps";
    public static final String MODEL = "model";

    /**
     * The type some names must have in a space (other names take the type of their values; the run
     * specification checks them when a trial's values are applied).
     */
    public static final Map<String, Kind> KNOWN_KINDS = Map.ofEntries(
            Map.entry(LEARNING_RATE, Kind.FLOAT), Map.entry(LORA_R, Kind.INT), Map.entry(LORA_RANK, Kind.INT),
            Map.entry(LORA_ALPHA, Kind.FLOAT), Map.entry(PER_DEVICE_TRAIN_BATCH_SIZE, Kind.INT), Map.entry(BATCH_SIZE, Kind.INT),
            Map.entry(GRADIENT_ACCUMULATION_STEPS, Kind.INT), Map.entry(EPOCHS, Kind.INT), Map.entry(LOSS, Kind.STRING),
            Map.entry(MATRYOSHKA_DIMS, Kind.INT_LIST), Map.entry(MODEL, Kind.STRING), Map.entry(BASE_MODEL, Kind.STRING));

    private final Map<String, ParamValue> values;

    public TrialSettings(Map<String, ParamValue> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Every value by name, in the space's order. */
    public Map<String, ParamValue> values() {
        return values;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public ParamValue get(String name) {
        ParamValue v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the search space has no " + name + "; it declares " + values.keySet());
        }
        return v;
    }

    /** A float or integer value as a double. */
    public double getDouble(String name) {
        ParamValue v = get(name);
        if (v instanceof FloatValue f) {
            return f.value();
        }
        if (v instanceof IntValue i) {
            return i.value();
        }
        throw new IllegalArgumentException(name + " is not a number: " + v.display());
    }

    public int getInt(String name) {
        if (get(name) instanceof IntValue i) {
            return i.value();
        }
        throw new IllegalArgumentException(name + " is not an integer: " + get(name).display());
    }

    public String getString(String name) {
        if (get(name) instanceof StringValue s) {
            return s.value();
        }
        throw new IllegalArgumentException(name + " is not a string: " + get(name).display());
    }

    public List<Integer> getIntList(String name) {
        if (get(name) instanceof IntListValue l) {
            return l.value();
        }
        throw new IllegalArgumentException(name + " is not an integer list: " + get(name).display());
    }

    public double learningRate() {
        return getDouble(LEARNING_RATE);
    }

    public int loraRank() {
        return getInt(LORA_RANK);
    }

    public double loraAlpha() {
        return getDouble(LORA_ALPHA);
    }

    public int batchSize() {
        return getInt(BATCH_SIZE);
    }

    public int epochs() {
        return getInt(EPOCHS);
    }

    /** The loss class name, e.g. {@code MultipleNegativesRankingLoss}. */
    public String loss() {
        return getString(LOSS);
    }

    public List<Integer> matryoshkaDims() {
        return getIntList(MATRYOSHKA_DIMS);
    }

    /** The base model directory (or {@code builtin:NAME}). */
    public String baseModel() {
        return getString(BASE_MODEL);
    }

    /** {@code {"learning_rate": 3.2e-5, "lora_rank": 16, ...}}, read back by {@link SearchSpace#decodeSettings}. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        values.forEach((k, v) -> o.set(k, SearchSpace.JSON.valueToTree(v.toJava())));
        return o;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrialSettings t && t.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        values.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append('=').append(v.display()));
        return b.append('}').toString();
    }
}
