package dev.embedtune.train.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.embedtune.model.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link RunReport} into a run's output directory as {@code report.json} (the record,
 * which {@link #read} reads back to an equal record) and {@code report.md}: per metric a table of
 * base against fine-tuned at each dimension with the difference, then training, timings, settings,
 * and links to the charts drawn beside it. Both files are written atomically.
 */
public final class ReportWriter {

    public static final String JSON_FILE = "report.json";
    public static final String MARKDOWN_FILE = "report.md";

    /** Table titles of the metrics the evaluators report (others are titled by their key). */
    private static final Map<String, String> TITLES = Map.of("cosine_ndcg@10", "NDCG@10", "cosine_mrr@10", "MRR@10",
            "cosine_recall@10", "Recall@10", "cosine_map@100", "MAP@100", "cosine_accuracy", "Accuracy (best threshold)",
            "cosine_f1", "F1 (best threshold)", "cosine_ap", "Average precision", "spearman_cosine", "Spearman correlation");

    /** The title of a table metric. */
    public static String title(String metric) {
        return TITLES.getOrDefault(metric, metric);
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {
    }

    /** The two files written. */
    public record Files(Path json, Path markdown) {
    }

    /** A chart drawn beside the report (by the application, which has a charting library), linked from report.md. */
    public record Chart(Path file, String title) {
    }

    /** Writes {@code report.json} and {@code report.md} into {@code dir}, without charts. */
    public static Files write(RunReport report, Path dir) throws IOException {
        return write(report, dir, List.of());
    }

    /** Writes {@code report.json} and {@code report.md} into {@code dir}, linking the charts that exist. */
    public static Files write(RunReport report, Path dir, List<Chart> charts) throws IOException {
        Path json = dir.resolve(JSON_FILE);
        Path md = dir.resolve(MARKDOWN_FILE);
        AtomicFiles.write(json, JSON.writeValueAsBytes(report));
        AtomicFiles.write(md, markdown(report, dir, charts).getBytes(StandardCharsets.UTF_8));
        return new Files(json, md);
    }

    /**
     * Reads a {@code report.json}.
     *
     * @throws IOException naming the file when it is missing or not a report
     */
    public static RunReport read(Path file) throws IOException {
        try {
            return JSON.readValue(java.nio.file.Files.readAllBytes(file), RunReport.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "report file not found");
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not a run report: " + e.getOriginalMessage(), e);
        }
    }

    /** The markdown; chart links only for the charts present in {@code dir}. */
    static String markdown(RunReport r, Path dir, List<Chart> charts) {
        StringBuilder sb = new StringBuilder();
        RunReport.Training t = r.training();
        sb.append("# Fine-tuning report\n\n");
        sb.append("| | |\n|---|---|\n");
        sb.append("| base model | `").append(r.model()).append("` |\n");
        sb.append("| dataset | `").append(r.dataset()).append("` |\n");
        sb.append(String.format(Locale.ROOT, "| training | %,d steps (%.2f epochs) on %,d examples (%s), %.1f s |%n", t.steps(),
                t.epochs(), t.trainExamples(), t.negativesMined() == 0 ? "no mined negatives"
                        : String.format(Locale.ROOT, "%,d mined hard negatives", t.negativesMined()), t.runtimeSeconds()));
        int top = r.dims().get(0);
        String h = r.headline();
        sb.append(String.format(Locale.ROOT, "| %s at dim %d | %.4f → %.4f (%s) |%n%n", title(h), top, r.base(top, h),
                r.fineTuned(top, h), delta(r.base(top, h), r.fineTuned(top, h))));

        Object split = r.settings().get("eval_split");
        String what = Character.toUpperCase(r.evaluator().charAt(0)) + r.evaluator().substring(1).replace('-', ' ');
        sb.append("## ").append(what).append(split == null ? "" : " on the " + split + " split").append(" (cosine similarity)\n\n");
        sb.append("Fine-tuned is the merged model saved in `model/` (full-precision base weights plus the adapters).");
        Object quantization = r.settings().get("quantization");
        if (quantization != null && !"none".equals(quantization)) {
            sb.append(" The evaluations during training in `metrics.jsonl` ran on the ").append(quantization)
                    .append(" base the adapters were trained over, so they differ from these by the quantisation error.");
        }
        sb.append("\n\n");
        for (String m : r.tableMetrics()) {
            sb.append("### ").append(title(m)).append("\n\n");
            sb.append("| dim | base | fine-tuned | Δ | Δ % |\n|---:|---:|---:|---:|---:|\n");
            for (int d : r.dims()) {
                double b = r.base(d, m);
                double f = r.fineTuned(d, m);
                sb.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f | %s | %s |%n", d, b, f, delta(b, f), percent(b, f)));
            }
            sb.append('\n');
        }

        sb.append("## Training\n\n| | |\n|---|---:|\n");
        sb.append(String.format(Locale.ROOT, "| optimizer steps | %,d |%n", t.steps()));
        sb.append(String.format(Locale.ROOT, "| epochs | %.2f |%n", t.epochs()));
        sb.append(String.format(Locale.ROOT, "| training examples | %,d |%n", t.trainExamples()));
        sb.append(String.format(Locale.ROOT, "| hard negatives mined | %,d |%n", t.negativesMined()));
        sb.append(String.format(Locale.ROOT, "| mean training loss | %.4f |%n", t.trainLoss()));
        sb.append("| last logged loss | ").append(t.finalLoss() == null ? "—" : String.format(Locale.ROOT, "%.4f", t.finalLoss()))
                .append(" |\n");
        sb.append(String.format(Locale.ROOT, "| training time | %.1f s |%n%n", t.runtimeSeconds()));

        sb.append("## Timings\n\n| phase | seconds |\n|---|---:|\n");
        r.timings().forEach((phase, s) -> sb.append(String.format(Locale.ROOT, "| %s | %.1f |%n", phase, s)));
        sb.append('\n');

        if (!r.settings().isEmpty()) {
            sb.append("## Settings\n\n| setting | value |\n|---|---|\n");
            flatten("", r.settings(), sb);
            sb.append('\n');
        }

        StringBuilder links = new StringBuilder();
        for (Chart c : charts) {
            if (java.nio.file.Files.exists(c.file())) {
                links.append("![").append(c.title()).append("](").append(dir.relativize(c.file())).append(")\n\n");
            }
        }
        if (links.length() > 0) {
            sb.append("## Charts\n\n").append(links);
        }
        return sb.toString();
    }

    /** {@code f − b} with its sign, 4 decimals. */
    static String delta(double b, double f) {
        return String.format(Locale.ROOT, "%+.4f", f - b);
    }

    /** The relative change in percent, or a dash when the base is 0. */
    static String percent(double b, double f) {
        return b == 0 ? "—" : String.format(Locale.ROOT, "%+.1f%%", 100 * (f - b) / b);
    }

    /** One row per setting; an object's entries as {@code key.subkey} rows. */
    private static void flatten(String prefix, Map<?, ?> settings, StringBuilder sb) {
        settings.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m && !m.isEmpty()) {
                flatten(prefix + k + ".", m, sb);
            } else {
                sb.append("| ").append(prefix).append(k).append(" | `").append(display(v)).append("` |\n");
            }
        });
    }

    private static String display(Object v) {
        if (v instanceof String s) {
            return s;
        }
        try {
            return new ObjectMapper().writeValueAsString(v);
        } catch (JsonProcessingException e) {
            return String.valueOf(v);
        }
    }
}
