package dev.embedtune.model.card;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The pieces both cards are made of: YAML front matter, Markdown tables and lists, Hub links. */
final class CardText {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern LOSS = Pattern.compile("\\b[A-Z][A-Za-z0-9]*Loss\\b");

    private CardText() {
    }

    /**
     * Whether a base model name is a Hugging Face Hub id ({@code owner/name}) rather than a local path:
     * the card metadata's {@code base_model} and Hub links take only ids.
     */
    static boolean isHubId(String name) {
        if (!HUB_ID.matcher(name).matches()) {
            return false;
        }
        try {
            return !Files.exists(Path.of(name));   // "models/mine" given as a path is a directory here
        } catch (InvalidPathException e) {
            return true;
        }
    }

    /** The base model as Markdown: a Hub link for an id, the path in code otherwise. */
    static String baseModelLink(String name) {
        return isHubId(name) ? "[" + name + "](https://huggingface.co/" + name + ")" : "`" + name + "`";
    }

    /** sentence-transformers' {@code loss:} tags: every {@code …Loss} name in the loss description. */
    static List<String> lossNames(String loss) {
        Set<String> names = new LinkedHashSet<>();
        if (loss != null) {
            Matcher m = LOSS.matcher(loss);
            while (m.find()) {
                names.add(m.group());
            }
        }
        return List.copyOf(names);
    }

    /** A YAML scalar: JSON's string syntax, which YAML reads as the same string. */
    static String yaml(String value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The front matter block: scalar fields and lists, in the order given; null values left out. */
    static String frontMatter(Map<String, Object> fields) {
        StringBuilder s = new StringBuilder("---\n");
        fields.forEach((key, value) -> {
            if (value instanceof List<?> list) {
                if (!list.isEmpty()) {
                    s.append(key).append(":\n");
                    list.forEach(v -> s.append("- ").append(yaml(String.valueOf(v))).append('\n'));
                }
            } else if (value != null) {
                s.append(key).append(": ").append(yaml(String.valueOf(value))).append('\n');
            }
        });
        return s.append("---\n").toString();
    }

    /** A metric value as sentence-transformers prints it (four decimals). */
    static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
    }

    /** The evaluation tables in sentence-transformers' "Metrics" form. */
    static String evaluations(List<EvaluationTable> tables) {
        StringBuilder s = new StringBuilder();
        for (EvaluationTable t : tables) {
            s.append("\n#### ").append(t.title()).append("\n\n");
            if (t.dataset() != null) {
                s.append("* Dataset: `").append(t.dataset()).append("`\n\n");
            }
            List<String> header = new ArrayList<>(List.of("Metric"));
            header.addAll(t.columns());
            s.append("| ").append(String.join(" | ", header)).append(" |\n");
            s.append("|:--").append("|:--".repeat(t.columns().size())).append("|\n");
            for (EvaluationTable.Row r : t.rows()) {
                boolean bold = r.metric().equals(t.primaryMetric());
                List<String> cells = new ArrayList<>(List.of(bold ? "**" + r.metric() + "**" : r.metric()));
                r.values().forEach(v -> cells.add(bold && !Double.isNaN(v) ? "**" + number(v) + "**" : number(v)));
                s.append("| ").append(String.join(" | ", cells)).append(" |\n");
            }
        }
        return s.toString();
    }

    /** Settings as sentence-transformers lists hyperparameters: {@code - `name`: value}. */
    static String settings(Map<String, ?> settings) {
        StringBuilder s = new StringBuilder();
        settings.forEach((k, v) -> s.append("- `").append(k).append("`: ").append(v).append('\n'));
        return s.toString();
    }
}
