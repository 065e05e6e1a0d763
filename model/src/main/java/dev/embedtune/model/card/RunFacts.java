package dev.embedtune.model.card;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model card says about the run that produced a model or an adapter; whatever is null or
 * empty is left out of the card.
 *
 * @param baseModel       the base model: a Hugging Face Hub id, or the path as the user gave it
 *                        ({@code ModelCache.nameOrPath})
 * @param datasetName     the training data, e.g. {@code jargon.jsonl (train)}, or null
 * @param trainingSamples how many examples were trained on, or null
 * @param loss            the loss as configured, e.g. {@code MatryoshkaLoss(MultipleNegativesRankingLoss,
 *                        matryoshka_dims=[384, 256])}, or null; every {@code …Loss} name in it becomes a
 *                        {@code loss:} tag, as sentence-transformers tags its cards
 * @param settings        the run's settings by name, in the order shown (e.g. {@code learning_rate} → 2e-4)
 * @param evaluations     the run's evaluation tables (e.g. retrieval metrics per Matryoshka dimension)
 */
public record RunFacts(String baseModel, String datasetName, Integer trainingSamples, String loss,
        Map<String, ?> settings, List<EvaluationTable> evaluations) {

    public RunFacts {
        if (baseModel == null || baseModel.isBlank()) {
            throw new IllegalArgumentException("a model card needs the base model's name or path");
        }
        settings = settings == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        evaluations = evaluations == null ? List.of() : List.copyOf(evaluations);
    }

    /** What a save knows when nothing but the base model is at hand. */
    public static RunFacts of(String baseModel) {
        return new RunFacts(baseModel, null, null, null, Map.of(), List.of());
    }
}
