package dev.embedtune.train.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one fine-tuning run measured: the base model against the fine-tuned one at every Matryoshka
 * dimension, how long each phase took, what training did, and the settings. {@link ReportWriter}
 * writes it as {@code report.json} (this record, snake_case keys) and {@code report.md}.
 *
 * <p>The metric maps hold every key the evaluation produced, named as
 * {@link MatryoshkaEvaluation} and the {@code InformationRetrievalEvaluator} name them:
 * {@code dim_384_cosine_ndcg@10}, {@code dim_64_cosine_map@100}, … ({@link #key}).
 *
 * @param model the base model as given ({@code builtin:all-minilm-l6-v2} or a directory)
 * @param dataset the dataset file
 * @param evaluator the evaluator's name ({@code retrieval}, {@code binary-classification}, {@code triplet},
 *     {@code similarity}); null reads as retrieval
 * @param tableMetrics the metrics the tables show, as keys after the dim prefix ({@code cosine_ndcg@10});
 *     null reads as {@link #RETRIEVAL_METRICS}
 * @param settings the run's settings as JSON values (strings, numbers, booleans, lists, objects);
 *     held in the form Jackson reads them back in, so a report equals its own round trip
 * @param dims the Matryoshka dimensions, largest first as given
 * @param base the base model's metrics
 * @param fineTuned the fine-tuned model's metrics
 * @param timings seconds per phase, in the order the phases ran ({@code import}, {@code mining}, …)
 * @param training what the trainer did
 */
@JsonPropertyOrder({"model", "dataset", "evaluator", "table_metrics", "dims", "base", "fine_tuned", "training", "timings_seconds",
        "settings"})
public record RunReport(
        @JsonProperty("model") String model,
        @JsonProperty("dataset") String dataset,
        @JsonProperty("settings") Map<String, Object> settings,
        @JsonProperty("evaluator") String evaluator,
        @JsonProperty("table_metrics") List<String> tableMetrics,
        @JsonProperty("dims") List<Integer> dims,
        @JsonProperty("base") Map<String, Double> base,
        @JsonProperty("fine_tuned") Map<String, Double> fineTuned,
        @JsonProperty("timings_seconds") Map<String, Double> timings,
        @JsonProperty("training") Training training) {

    /** The retrieval evaluator's metrics the tables show (and what reports written before evaluators were chosen hold). */
    public static final List<String> RETRIEVAL_METRICS = List.of("cosine_ndcg@10", "cosine_mrr@10", "cosine_recall@10",
            "cosine_map@100");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The training summary.
     *
     * @param steps optimizer steps done
     * @param epochs epochs done (fractional)
     * @param trainExamples examples in the training set (after mining)
     * @param negativesMined hard negatives added by mining (0 without mining)
     * @param trainLoss the mean step loss over the run ({@code train_loss})
     * @param finalLoss the loss of the last logged training line, or null when none was logged
     * @param runtimeSeconds the trainer's wall time ({@code train_runtime})
     */
    @JsonPropertyOrder({"steps", "epochs", "train_examples", "negatives_mined", "train_loss", "final_loss", "runtime_seconds"})
    public record Training(
            @JsonProperty("steps") int steps,
            @JsonProperty("epochs") double epochs,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("negatives_mined") int negativesMined,
            @JsonProperty("train_loss") double trainLoss,
            @JsonProperty("final_loss") Double finalLoss,
            @JsonProperty("runtime_seconds") double runtimeSeconds) {
    }

    /**
     * @throws IllegalArgumentException when {@code dims} is empty, or a metric map lacks one of
     *     the table metrics at one of the dims (naming the key)
     */
    public RunReport {
        evaluator = evaluator == null ? "retrieval" : evaluator;
        tableMetrics = tableMetrics == null ? RETRIEVAL_METRICS : List.copyOf(tableMetrics);
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(training, "training");
        dims = List.copyOf(dims);
        if (dims.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one Matryoshka dimension");
        }
        base = ordered(base, "base");
        fineTuned = ordered(fineTuned, "fine_tuned");
        timings = ordered(timings, "timings_seconds");
        settings = settings == null ? Map.of() : asJsonValues(settings);
        for (int d : dims) {
            for (String m : tableMetrics) {
                String k = key(d, m);
                if (!base.containsKey(k)) {
                    throw new IllegalArgumentException("base metrics lack " + k + "; found " + base.keySet());
                }
                if (!fineTuned.containsKey(k)) {
                    throw new IllegalArgumentException("fine-tuned metrics lack " + k + "; found " + fineTuned.keySet());
                }
            }
        }
    }

    /** The metric key of a dimension: {@code key(128, "cosine_ndcg@10")} is {@code dim_128_cosine_ndcg@10}. */
    public static String key(int dim, String metric) {
        return MatryoshkaEvaluation.nameOf(dim) + "_" + metric;
    }

    /** The first table metric, the one charts and summaries show (NDCG@10 for retrieval). */
    public String headline() {
        return tableMetrics.get(0);
    }

    /** The base model's value of {@code metric} (e.g. {@code cosine_ndcg@10}) at {@code dim}. */
    public double base(int dim, String metric) {
        return base.get(key(dim, metric));
    }

    /** The fine-tuned model's value of {@code metric} at {@code dim}. */
    public double fineTuned(int dim, String metric) {
        return fineTuned.get(key(dim, metric));
    }

    private static <V> Map<String, V> ordered(Map<String, V> m, String what) {
        Objects.requireNonNull(m, what);
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** Settings through Jackson and back: a {@code long} 42 becomes the {@code Integer} that reading report.json gives. */
    private static Map<String, Object> asJsonValues(Map<String, Object> settings) {
        try {
            Map<String, Object> m = JSON.readValue(JSON.writeValueAsBytes(settings), new TypeReference<LinkedHashMap<String, Object>>() { });
            return Collections.unmodifiableMap(m);
        } catch (IOException e) {
            throw new UncheckedIOException("settings are not representable as JSON: " + e.getMessage(), e);
        }
    }
}
