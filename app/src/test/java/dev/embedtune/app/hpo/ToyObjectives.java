package dev.embedtune.app.hpo;

import dev.embedtune.train.eval.EvaluationResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Objectives with known answers, for testing the search without a trainer. */
final class ToyObjectives {

    private ToyObjectives() {
    }

    /** A one-metric evaluation. */
    record Score(String key, double value, boolean greaterIsBetter) implements EvaluationResult {
        Score(double value) {
            this("toy_score", value, true);
        }

        @Override
        public String primaryMetric() {
            return key;
        }

        @Override
        public Map<String, Double> metrics() {
            return Map.of(key, value);
        }
    }

    /** The final score: −(log10 lr + 4)² − (rank − 16)²/100, maximal (0) at lr = 1e-4, rank 16. */
    static double optimum(TrialSettings s) {
        double l = Math.log10(s.learningRate()) + 4;
        double r = s.loraRank() - 16;
        return -l * l - r * r / 100;
    }

    /**
     * Reports {@code optimum − 1/resource} at each rung (noise-free, growing with the budget, and the
     * same offset for every trial at a rung, so each rung ranks trials as the final scores do), stops
     * when told, and completes with {@link #optimum}.
     */
    static final Objective TOY = (settings, budget, reporter) -> {
        double f = optimum(settings);
        for (long rung : budget.rungs()) {
            if (reporter.report(rung, new Score(f - 1.0 / rung)) == Reporter.Verdict.PRUNE) {
                return TrialOutcome.pruned(null);
            }
        }
        return TrialOutcome.complete(new Score(f));
    };

    /** A space over learning rate and rank (plus a tied alpha), budget 1..27 steps, η 3. */
    static final String TOY_SPACE = """
            seed: 7
            budget: {unit: steps, min: 1, max: 27, reduction_factor: 3}
            parameters:
              learning_rate: {log_uniform: [1.0e-6, 1.0e-2]}
              lora_rank: {choices: [4, 8, 16, 32, 64]}
              lora_alpha: {tied_to: lora_rank, factor: 2}
            """;

    /** Every hyperparameter kind: for reports (categorical axes) and round trips. */
    static final String FULL_SPACE = """
            seed: 11
            budget: {unit: steps, min: 1, max: 27, reduction_factor: 3}
            parameters:
              learning_rate: {log_uniform: [1.0e-6, 1.0e-2]}
              lora_rank: {choices: [4, 8, 16, 32, 64]}
              lora_alpha: {tied_to: lora_rank, factor: 2}
              batch_size: {choices: [16, 32, 64]}
              epochs: 1
              loss: {choices: [MultipleNegativesRankingLoss, CachedMultipleNegativesRankingLoss]}
              matryoshka_dims: {choices: ["384,256,128,64", [384]]}
              base_model: {choices: [models/minilm, models/bge-small]}
            """;

    static StudySpec spec(Path dir, String yaml) throws IOException {
        Path file = dir.resolve("space.yaml");
        Files.writeString(file, yaml);
        return StudySpec.read(file);
    }

    static Study.Options quiet() {
        return Study.Options.defaults().withLog(line -> { });
    }
}
