package dev.embedtune.train.eval;

import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.ExampleFormat;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The evaluators a run can name ({@code evaluator: triplet}, {@code evaluate --evaluator triplet}),
 * and the one rule that picks one from the data's roles when none is named:
 *
 * <table>
 *   <caption>roles → evaluator</caption>
 *   <tr><th>evaluated examples</th><th>evaluator</th><th>table metrics</th></tr>
 *   <tr><td>anchor, positive [, group] (pairs, n-tuples)</td><td>retrieval</td><td>NDCG@10, MRR@10, Recall@10, MAP@100</td></tr>
 *   <tr><td>anchor, positive, 0/1 label</td><td>binary-classification</td><td>accuracy, F1, AP at the best thresholds</td></tr>
 *   <tr><td>anchor, positive, negative</td><td>triplet</td><td>accuracy</td></tr>
 *   <tr><td>anchor, positive, float score</td><td>similarity</td><td>Spearman, Pearson</td></tr>
 * </table>
 */
public enum EvaluatorKind {
    RETRIEVAL(List.of("cosine_ndcg@10", "cosine_mrr@10", "cosine_recall@10", "cosine_map@100")),
    BINARY_CLASSIFICATION(List.of("cosine_accuracy", "cosine_f1", "cosine_ap")),
    TRIPLET(List.of("cosine_accuracy")),
    SIMILARITY(List.of("spearman_cosine", "pearson_cosine"));

    /** The names, as {@code evaluator:} takes them. */
    public static final List<String> NAMES = Arrays.stream(values()).map(EvaluatorKind::cliName).toList();

    private final List<String> tableMetrics;

    EvaluatorKind(List<String> tableMetrics) {
        this.tableMetrics = tableMetrics;
    }

    /** {@code retrieval}, {@code binary-classification}, {@code triplet}, {@code similarity}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The metrics a report tabulates, as keys without a dim prefix; the first is the headline. */
    public List<String> tableMetrics() {
        return tableMetrics;
    }

    /** The evaluator for examples of {@code format}. */
    public static EvaluatorKind forFormat(ExampleFormat format) {
        return switch (format) {
            case PAIR, N_TUPLE -> RETRIEVAL;
            case PAIR_LABEL -> BINARY_CLASSIFICATION;
            case TRIPLET -> TRIPLET;
            case PAIR_SCORE -> SIMILARITY;
        };
    }

    /** @throws IllegalArgumentException naming the known evaluators */
    public static EvaluatorKind parse(String name) {
        for (EvaluatorKind k : values()) {
            if (k.cliName().equalsIgnoreCase(name.trim()) || k.name().equalsIgnoreCase(name.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown evaluator '" + name + "': expected one of " + String.join(", ", NAMES));
    }

    /**
     * This evaluator on {@code evaluated} (retrieval ranks {@code all}'s positives), its keys prefixed by
     * {@code name} (e.g. {@code dim_128}; empty for none).
     *
     * @throws IllegalArgumentException when the examples lack the roles this evaluator needs
     */
    public Evaluator<?> create(Dataset evaluated, Dataset all, String name) {
        return switch (this) {
            case RETRIEVAL -> InformationRetrievalEvaluator.of(RetrievalTask.of(evaluated, all),
                    InformationRetrievalEvaluator.Options.defaults().withName(name));
            case BINARY_CLASSIFICATION -> BinaryClassificationEvaluator.of(evaluated, name);
            case TRIPLET -> TripletEvaluator.of(evaluated, name);
            case SIMILARITY -> EmbeddingSimilarityEvaluator.of(evaluated, name);
        };
    }

    /** {@link #create} at every Matryoshka dimension ({@link MatryoshkaEvaluation}), or on the full embedding without dims. */
    public Evaluator<?> create(Dataset evaluated, Dataset all, List<Integer> dims) {
        if (dims.isEmpty()) {
            return create(evaluated, all, "");
        }
        return new MatryoshkaEvaluation(dims, name -> create(evaluated, all, name));
    }
}
