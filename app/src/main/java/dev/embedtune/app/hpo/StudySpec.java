package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What defines a study: the space, the budget, the metric and the seed. Written once to
 * {@code study.json} when the study is created; every later process must bring the same spec (or
 * none). File form, YAML ({@code .yaml}/{@code .yml}) or JSON:
 * <pre>{@code
 * metric: cosine_ndcg@10      # optional: a key of the evaluator's metrics(); default: its primary metric
 * seed: 42                    # optional, default 0
 * budget: {unit: steps, min: 100, max: 2700, reduction_factor: 3}
 * parameters:
 *   learning_rate: {log_uniform: [1.0e-5, 1.0e-3]}
 *   lora_rank: {choices: [8, 16, 32]}
 *   lora_alpha: {tied_to: lora_rank, factor: 2}
 * }</pre>
 *
 * @param metric the metric key optimised, or null for each result's primary metric
 * @param seed   trial i's settings are drawn from a generator seeded by (seed, i) alone, so a
 *               single-process study is reproducible and a resumed or extended one draws what an
 *               uninterrupted one would
 */
public record StudySpec(SearchSpace space, Budget budget, String metric, long seed) {

    /** Version of the study directory layout and record format. */
    public static final int FORMAT = 1;

    private static final Set<String> KEYS = Set.of("format", "metric", "seed", "budget", "parameters");

    public StudySpec {
        Objects.requireNonNull(space, "space");
        Objects.requireNonNull(budget, "budget");
        if (metric != null && metric.isBlank()) {
            metric = null;
        }
        if (budget.unit() == Budget.Unit.EPOCHS && space.dimensions().containsKey(TrialSettings.EPOCHS)
                && space.dimensions().get(TrialSettings.EPOCHS).varies()) {
            throw new IllegalArgumentException("the budget counts epochs, so epochs cannot also be searched; "
                    + "use budget unit steps or make epochs a constant");
        }
    }

    public StudySpec withMetric(String metric) {
        return new StudySpec(space, budget, metric, seed);
    }

    public StudySpec withSeed(long seed) {
        return new StudySpec(space, budget, metric, seed);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("format", FORMAT);
        if (metric != null) {
            o.put("metric", metric);
        }
        o.put("seed", seed);
        o.set("budget", budget.toSpec());
        o.set("parameters", space.toSpec());
        return o;
    }

    /**
     * Reads a space file (YAML or JSON by extension) through the one settings-file reader.
     *
     * @throws IllegalArgumentException naming the file and line when it does not parse
     */
    public static StudySpec read(Path file) throws IOException {
        JsonNode root;
        try {
            root = dev.embedtune.cli.SettingsFile.readTree(file, "search-space file");
        } catch (IllegalArgumentException e) {
            String prefix = file + ": ";
            String problem = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
            throw new SpaceFormatException(file.toString(), "(file)", problem);
        }
        return fromJson(root, file.toString());
    }

    /** Reads the object form; {@code source} names the file in errors. */
    public static StudySpec fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new SpaceFormatException(source, "(root)", "expected an object with budget and parameters, found " + root);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new SpaceFormatException(source, k, "unknown key; expected " + KEYS);
            }
        }
        JsonNode format = root.get("format");
        if (format != null && (!format.isInt() || format.intValue() != FORMAT)) {
            throw new SpaceFormatException(source, "format", "expected " + FORMAT + ", found " + format);
        }
        JsonNode metric = root.get("metric");
        if (metric != null && !metric.isTextual()) {
            throw new SpaceFormatException(source, "metric", "expected a metric key such as \"cosine_ndcg@10\", found " + metric);
        }
        JsonNode seed = root.get("seed");
        if (seed != null && !(seed.isIntegralNumber() && seed.canConvertToLong())) {
            throw new SpaceFormatException(source, "seed", "expected an integer, found " + seed);
        }
        if (root.get("budget") == null) {
            throw new SpaceFormatException(source, "budget", "missing; expected {unit: steps|epochs, min: N, max: N, reduction_factor: 3}");
        }
        if (root.get("parameters") == null) {
            throw new SpaceFormatException(source, "parameters", "missing; expected an object mapping each hyperparameter to its range");
        }
        Budget budget = Budget.parse(root.get("budget"), source, "budget");
        SearchSpace space = SearchSpace.parse(root.get("parameters"), source, "parameters");
        try {
            return new StudySpec(space, budget, metric == null ? null : metric.textValue(), seed == null ? 0 : seed.longValue());
        } catch (IllegalArgumentException e) {
            throw new SpaceFormatException(source, "budget.unit", e.getMessage());
        }
    }
}
