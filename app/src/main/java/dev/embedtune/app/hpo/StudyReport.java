package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.app.hpo.Dimension.Tied;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a study's report into {@code DIR/report/}: {@code report.json} (machine-readable),
 * {@code report.md} (the best trial's settings and score, every trial in one table), and PNGs:
 * {@code history.png} (score per trial with the best so far) and {@code score_vs_<name>.png} for each
 * searched hyperparameter (tied and constant ones are listed, not plotted); see {@link ReportCharts}. All files are written
 * atomically, so a report can be rendered while trials are still running.
 *
 * <p>Trials are sorted COMPLETE first (best score first), then PRUNED (furthest budget first, then
 * best score), then FAILED; ties by id. The best trial is the best COMPLETE one.
 */
public final class StudyReport {

    private StudyReport() {
    }

    /** What was written. */
    public record Files(Path markdown, Path json, Path history, Map<String, Path> slices) {
    }

    public static Files write(Study study) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // charts only; no display needed
        }
        StudySpec spec = study.spec();
        List<TrialRecord> records = study.trials();
        int running = study.running().size();
        List<TrialRecord> complete = records.stream().filter(r -> r.status() == TrialStatus.COMPLETE && r.hasScore()).toList();
        List<TrialRecord> pruned = records.stream().filter(r -> r.status() == TrialStatus.PRUNED && r.hasScore()).toList();
        boolean greater = Study.direction(records.stream().filter(TrialRecord::hasScore).toList());
        Optional<TrialRecord> best = Study.best(records);
        List<TrialRecord> sorted = sorted(records, greater);
        String metric = metricName(spec, records);

        Path dir = study.reportDirectory();
        Path history = dir.resolve("history.png");
        ReportCharts.history(complete, pruned, greater, metric, history);
        Map<String, Path> slices = new LinkedHashMap<>();
        for (Dimension d : spec.space().dimensions().values()) {
            if (d.varies() && !(d instanceof Tied)) {
                Path png = dir.resolve("score_vs_" + d.name().replaceAll("[^A-Za-z0-9_.-]", "_") + ".png");
                ReportCharts.slice(d, complete, pruned, best.orElse(null), metric, png);
                slices.put(d.name(), png);
            }
        }

        Path json = dir.resolve("report.json");
        StudyDirectory.writeJson(json, json(study, spec, metric, greater, records, running, best, sorted, history, slices));
        Path md = dir.resolve("report.md");
        AtomicFiles.write(md, markdown(study, spec, metric, greater, records, running, best, sorted, history, slices)
                .getBytes(StandardCharsets.UTF_8));
        return new Files(md, json, history, slices);
    }

    static List<TrialRecord> sorted(List<TrialRecord> records, boolean greater) {
        Comparator<TrialRecord> byStatus = Comparator.comparingInt(r -> r.status().ordinal());
        Comparator<TrialRecord> byBudget = Comparator.comparingLong(r -> r.status() == TrialStatus.PRUNED ? -reached(r) : 0);
        Comparator<TrialRecord> byScore = Comparator.comparingDouble(r -> {
            double s = r.hasScore() ? r.score() : Double.NaN;
            return Double.isNaN(s) ? Double.POSITIVE_INFINITY : greater ? -s : s;
        });
        List<TrialRecord> out = new ArrayList<>(records);
        out.sort(byStatus.thenComparing(byBudget).thenComparing(byScore).thenComparingInt(TrialRecord::id));
        return out;
    }

    private static long reached(TrialRecord r) {
        return r.intermediate().isEmpty() ? 0 : r.intermediate().get(r.intermediate().size() - 1).resource();
    }

    private static String metricName(StudySpec spec, List<TrialRecord> records) {
        if (spec.metric() != null) {
            return spec.metric();
        }
        return records.stream().map(TrialRecord::metric).filter(m -> m != null).findFirst().orElse("primary metric");
    }

    private static Map<TrialStatus, Integer> counts(List<TrialRecord> records) {
        Map<TrialStatus, Integer> counts = new EnumMap<>(TrialStatus.class);
        for (TrialStatus s : TrialStatus.values()) {
            counts.put(s, 0);
        }
        records.forEach(r -> counts.merge(r.status(), 1, Integer::sum));
        return counts;
    }

    private static ObjectNode json(Study study, StudySpec spec, String metric, boolean greater, List<TrialRecord> records, int running,
                                   Optional<TrialRecord> best, List<TrialRecord> sorted, Path history, Map<String, Path> slices) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("study", study.directory().toString());
        o.put("metric", metric);
        o.put("greater_is_better", greater);
        o.put("seed", spec.seed());
        o.set("budget", spec.budget().toSpec());
        o.set("parameters", spec.space().toSpec());
        ObjectNode counts = o.putObject("counts");
        counts(records).forEach((s, n) -> counts.put(s.name().toLowerCase(Locale.ROOT), n));
        counts.put("running", running);
        if (best.isPresent()) {
            TrialRecord b = best.get();
            ObjectNode bj = o.putObject("best");
            bj.put("id", b.id());
            bj.put("score", b.score());
            bj.set("settings", b.settings().toJson());
            bj.put("wall_seconds", b.wallSeconds());
            ObjectNode m = bj.putObject("metrics");
            b.metrics().forEach((k, v) -> TrialRecord.putNumber(m, k, v));
        } else {
            o.putNull("best");
        }
        ArrayNode trials = o.putArray("trials");
        sorted.forEach(r -> trials.add(r.toJson()));
        ObjectNode charts = o.putObject("charts");
        charts.put("history", history.getFileName().toString());
        slices.forEach((k, p) -> charts.put(k, p.getFileName().toString()));
        return o;
    }

    private static String markdown(Study study, StudySpec spec, String metric, boolean greater, List<TrialRecord> records, int running,
                                   Optional<TrialRecord> best, List<TrialRecord> sorted, Path history, Map<String, Path> slices) {
        StringBuilder md = new StringBuilder();
        Map<TrialStatus, Integer> counts = counts(records);
        Budget budget = spec.budget();
        String unit = budget.unit().name().toLowerCase(Locale.ROOT);
        md.append("# Hyperparameter study\n\n");
        md.append("`").append(study.directory()).append("`: ").append(records.size()).append(" finished trials (")
                .append(counts.get(TrialStatus.COMPLETE)).append(" complete, ").append(counts.get(TrialStatus.PRUNED)).append(" pruned, ")
                .append(counts.get(TrialStatus.FAILED)).append(" failed)").append(running > 0 ? ", " + running + " running or interrupted" : "")
                .append(". Objective: ").append(greater ? "maximise" : "minimise").append(" `").append(metric).append("`. ")
                .append("Random search, seed ").append(spec.seed()).append(", with asynchronous successive halving: budget ")
                .append(budget.min()).append("–").append(budget.max()).append(' ').append(unit).append(", η = ")
                .append(budget.reductionFactor()).append(", rungs at ").append(budget.rungs()).append(' ').append(unit).append(".\n\n");

        md.append("## Best trial\n\n");
        if (best.isEmpty()) {
            md.append("No trial has completed yet.\n\n");
        } else {
            TrialRecord b = best.get();
            md.append(String.format(Locale.ROOT, "Trial %d: **%s = %.6g** (%.1f s).\n\n", b.id(), metric, b.score(), b.wallSeconds()));
            md.append("| hyperparameter | value |\n|---|---|\n");
            b.settings().values().forEach((k, v) -> md.append("| ").append(k).append(" | ").append(escape(v.display())).append(" |\n"));
            md.append('\n');
        }

        md.append("## All trials\n\n");
        List<String> names = new ArrayList<>(spec.space().dimensions().keySet());
        md.append("| trial | status | ").append(metric).append(" | ").append(unit).append(" reached | ");
        names.forEach(n -> md.append(n).append(" | "));
        md.append("seconds | note |\n|");
        md.append("---|".repeat(6 + names.size())).append('\n');
        for (TrialRecord r : sorted) {
            md.append("| ").append(r.id()).append(r.attempt() > 1 ? " (attempt " + r.attempt() + ")" : "").append(" | ")
                    .append(r.status()).append(" | ")
                    .append(r.hasScore() ? String.format(Locale.ROOT, "%.6g", r.score()) : "–").append(" | ")
                    .append(r.status() == TrialStatus.COMPLETE ? budget.max() : reached(r)).append(" | ");
            names.forEach(n -> md.append(escape(r.settings().get(n).display())).append(" | "));
            md.append(String.format(Locale.ROOT, "%.1f", r.wallSeconds())).append(" | ")
                    .append(r.message() == null ? "" : escape(r.message())).append(" |\n");
        }
        md.append('\n');

        md.append("## Charts\n\nComplete trials in blue, the best in red; pruned trials as grey rings at their last reported "
                + "score (measured on a smaller budget, so lower than they would have finished).\n\n");
        md.append("![optimisation history](").append(history.getFileName()).append(")\n\n");
        slices.forEach((name, png) -> md.append("![").append(metric).append(" vs ").append(name).append("](")
                .append(png.getFileName()).append(")\n\n"));
        List<String> notPlotted = spec.space().dimensions().values().stream().filter(d -> !slices.containsKey(d.name()))
                .map(d -> d instanceof Tied t ? d.name() + " (" + t.factor() + " × " + t.source() + ")" : d.name() + " (constant)").toList();
        if (!notPlotted.isEmpty()) {
            md.append("Not plotted: ").append(String.join(", ", notPlotted)).append(".\n");
        }
        return md.toString();
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
