package dev.embedtune.train.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.trainer.MetricsLog;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run's {@code metrics.jsonl} ({@link MetricsLog}) holds, read back: the training lines
 * ({@code loss} at each logged step), the evaluation lines ({@code eval_<metric>} at each evaluated
 * step) and the closing summary line ({@code train_runtime}, {@code train_loss}).
 *
 * @param loss (step, loss) of every training line, in file order
 * @param eval for each {@code eval_<metric>} key, its (step, value) points in file order
 * @param trainRuntime {@code train_runtime} of the summary line, or null when the run has none (killed)
 * @param trainLoss {@code train_loss} of the summary line, or null
 * @param finalEpoch {@code epoch} of the summary line (epochs done), or null
 */
public record TrainingHistory(List<Point> loss, Map<String, List<Point>> eval, Double trainRuntime, Double trainLoss,
        Double finalEpoch) {

    /** One value at one optimizer step. */
    public record Point(int step, double value) {
    }

    public TrainingHistory {
        loss = List.copyOf(loss);
        Map<String, List<Point>> copy = new LinkedHashMap<>();
        eval.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        eval = java.util.Collections.unmodifiableMap(copy);
    }

    /** The loss of the last training line, or null without any. */
    public Double finalLoss() {
        return loss.isEmpty() ? null : loss.get(loss.size() - 1).value();
    }

    /**
     * Reads {@code file}. A value written as null (non-finite, see {@link MetricsLog#append}) is left out.
     *
     * @throws IOException naming the file and line when a line is not a JSON object with an integer {@code step}
     */
    public static TrainingHistory read(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Point> loss = new ArrayList<>();
        Map<String, List<Point>> eval = new LinkedHashMap<>();
        Double runtime = null;
        Double trainLoss = null;
        Double epoch = null;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode o;
                try {
                    o = json.readTree(line);
                } catch (IOException e) {
                    throw new IOException(file + ":" + lineNumber + ": not a JSON object: " + e.getMessage(), e);
                }
                if (o == null || !o.isObject() || !o.path("step").canConvertToInt() || !o.path("step").isIntegralNumber()) {
                    throw new IOException(file + ":" + lineNumber + ": expected an object with an integer \"step\", found " + line);
                }
                int step = o.get("step").intValue();
                if (o.path("loss").isNumber()) {
                    loss.add(new Point(step, o.get("loss").doubleValue()));
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (e.getKey().startsWith("eval_") && e.getValue().isNumber()) {
                        eval.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new Point(step, e.getValue().doubleValue()));
                    }
                }
                if (o.path("train_runtime").isNumber()) {
                    runtime = o.get("train_runtime").doubleValue();
                }
                if (o.path("train_loss").isNumber()) {
                    trainLoss = o.get("train_loss").doubleValue();
                    epoch = o.path("epoch").isNumber() ? o.get("epoch").doubleValue() : null;
                }
            }
        }
        return new TrainingHistory(loss, eval, runtime, trainLoss, epoch);
    }
}
