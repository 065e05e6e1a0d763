package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished trial as {@code trials/<id>.json} holds it. Written once, atomically, when the trial
 * ends; never changed afterwards.
 *
 * @param score           the study metric: the final value when COMPLETE, the last reported one
 *                        when PRUNED, NaN when FAILED (or when nothing was reported)
 * @param metric          the metric key the score is ({@code null} when FAILED before any report)
 * @param greaterIsBetter the metric's direction ({@code null} when unknown: FAILED before any report)
 * @param metrics         every metric of the final (or last reported) evaluation
 * @param intermediate    the reports, in order
 * @param wallSeconds     time spent in the objective
 * @param message         why it was pruned or failed, else null
 * @param attempt         1, or more when an interrupted run of this trial was taken over
 * @param worker          {@code pid@host} of the process that ran it
 */
public record TrialRecord(int id, TrialStatus status, TrialSettings settings, double score, String metric,
                          Boolean greaterIsBetter, Map<String, Double> metrics, List<Intermediate> intermediate,
                          double wallSeconds, String message, int attempt, String worker, Instant started,
                          Instant finished) {

    public TrialRecord {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        intermediate = List.copyOf(intermediate);
    }

    /** Whether the score is a real measurement (not FAILED, not NaN). */
    public boolean hasScore() {
        return status != TrialStatus.FAILED && !Double.isNaN(score);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        o.put("status", status.name());
        o.set("settings", settings.toJson());
        putNumber(o, "score", score);
        o.put("metric", metric);
        if (greaterIsBetter == null) {
            o.putNull("greater_is_better");
        } else {
            o.put("greater_is_better", greaterIsBetter);
        }
        ObjectNode m = o.putObject("metrics");
        metrics.forEach((k, v) -> putNumber(m, k, v));
        ArrayNode reports = o.putArray("intermediate");
        for (Intermediate r : intermediate) {
            ObjectNode e = reports.addObject();
            e.put("resource", r.resource());
            putNumber(e, "score", r.score());
        }
        o.put("wall_seconds", wallSeconds);
        o.put("message", message);
        o.put("attempt", attempt);
        o.put("worker", worker);
        o.put("started", started.toString());
        o.put("finished", finished.toString());
        return o;
    }

    /** Reads a record; {@code source} (the file) and JSON paths name what is wrong. */
    public static TrialRecord fromJson(JsonNode o, SearchSpace space, String source) {
        if (!o.isObject()) {
            throw new SpaceFormatException(source, "(root)", "expected a trial record object, found " + o);
        }
        TrialStatus status;
        try {
            status = TrialStatus.valueOf(text(o, "status", source));
        } catch (IllegalArgumentException e) {
            throw new SpaceFormatException(source, "status", "expected COMPLETE, PRUNED or FAILED, found " + o.get("status"));
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        JsonNode m = o.path("metrics");
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            metrics.put(e.getKey(), number(e.getValue(), source, "metrics." + e.getKey()));
        }
        List<Intermediate> reports = new ArrayList<>();
        JsonNode r = o.path("intermediate");
        for (int i = 0; i < r.size(); i++) {
            reports.add(new Intermediate(integer(r.get(i), "resource", source, "intermediate[" + i + "]"),
                    number(r.get(i).get("score"), source, "intermediate[" + i + "].score")));
        }
        JsonNode gib = o.get("greater_is_better");
        return new TrialRecord((int) integer(o, "id", source, ""), status,
                space.decodeSettings(o.path("settings"), source, "settings"),
                number(o.get("score"), source, "score"),
                o.path("metric").isTextual() ? o.get("metric").textValue() : null,
                gib == null || gib.isNull() ? null : gib.booleanValue(),
                metrics, reports, number(o.get("wall_seconds"), source, "wall_seconds"),
                o.path("message").isTextual() ? o.get("message").textValue() : null,
                (int) integer(o, "attempt", source, ""), text(o, "worker", source),
                instant(o, "started", source), instant(o, "finished", source));
    }

    /** NaN and infinities are not JSON: written as null, read back as NaN. */
    static void putNumber(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    static double number(JsonNode v, String source, String field) {
        if (v == null || v.isNull()) {
            return Double.NaN;
        }
        if (!v.isNumber()) {
            throw new SpaceFormatException(source, field, "expected a number or null, found " + v);
        }
        return v.doubleValue();
    }

    static long integer(JsonNode o, String key, String source, String prefix) {
        JsonNode v = o.get(key);
        if (v == null || !v.isIntegralNumber()) {
            throw new SpaceFormatException(source, prefix.isEmpty() ? key : prefix + "." + key, "expected an integer, found " + v);
        }
        return v.longValue();
    }

    static String text(JsonNode o, String key, String source) {
        JsonNode v = o.get(key);
        if (v == null || !v.isTextual()) {
            throw new SpaceFormatException(source, key, "expected a string, found " + v);
        }
        return v.textValue();
    }

    static Instant instant(JsonNode o, String key, String source) {
        try {
            return Instant.parse(text(o, key, source));
        } catch (DateTimeParseException e) {
            throw new SpaceFormatException(source, key, "expected an ISO-8601 instant, found " + o.get(key));
        }
    }
}
