package dev.embedtune.app.hpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.cli.Main;
import dev.embedtune.train.data.GroupSplit;
import dev.embedtune.train.pipeline.RunSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import dev.embedtune.train.trainer.TinyModelDir;

/** {@link TrainingObjective}: rung-to-step mapping, space checks, and two real trials on a tiny BERT through {@code embedtune hpo}. */
class TrainingObjectiveTest {

    @TempDir
    Path tmp;

    private static final RunSpec BASE = RunSpec.defaults(Path.of("work"));

    @Test
    void rungsAreStepsOrWholeEpochsOfSteps() {
        assertEquals(List.of(2L, 6L, 18L), TrainingObjective.rungSteps(new Budget(Budget.Unit.STEPS, 2, 54, 3), 7));
        // rungs of 1 and 2 epochs, 7 optimizer steps an epoch
        assertEquals(List.of(7L, 14L), TrainingObjective.rungSteps(new Budget(Budget.Unit.EPOCHS, 1, 4, 2), 7));
    }

    @Test
    void spacesItCannotRunAreRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingObjective.check(ToyObjectives.spec(tmp, """
                budget: {unit: steps, min: 1, max: 9}
                parameters:
                  learning_rate: {log_uniform: [1.0e-5, 1.0e-3]}
                  warmup: {choices: [0, 10]}
                """), BASE, w -> { }));
        assertTrue(e.getMessage().contains("declares warmup, which is not a run-spec key"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainingObjective.check(ToyObjectives.spec(tmp, """
                budget: {unit: steps, min: 1, max: 9}
                parameters:
                  epochs: 2
                """), BASE, w -> { }));
        assertTrue(e.getMessage().contains("the budget counts steps"), e.getMessage());
    }

    /** Two trials that really train (4 steps, judged at step 2), scored on a validation part of the train split. */
    @Test
    void hpoRunsTrainingTrials() throws IOException {
        Path model = TinyModelDir.write(tmp.resolve("tiny"), 9);
        Path data = tmp.resolve("pairs.jsonl");
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        List<String[]> pairs = TinyModelDir.pairs(60);
        for (String[] p : pairs) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("query", p[0]);
            o.put("passage", p[1]);
            o.put("group", p[2]);
            lines.append(json.writeValueAsString(o)).append('\n');
        }
        Files.writeString(data, lines);
        Path space = tmp.resolve("space.yaml");
        Files.writeString(space, """
                seed: 3
                budget: {unit: steps, min: 2, max: 4, reduction_factor: 2}
                parameters:
                  learning_rate: {log_uniform: [1.0e-3, 1.0e-2]}
                  lora_rank: {choices: [2, 4]}
                  lora_alpha: {tied_to: lora_rank, factor: 2}
                  batch_size: 8
                  loss: {choices: [mnrl, MultipleNegativesSymmetricRankingLoss]}
                """);
        Path dir = tmp.resolve("study");
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        // no split field: the group rule decides the train split; a salted group rule then takes a validation part.
        // The trials take the LoRA options finetune has (one picocli mixin).
        int exit = cli.execute("hpo", "--study", dir.toString(), "--space", space.toString(), "--trials", "2", "--data", data.toString(),
                "--model", model.toString(), "--max-length", "32", "--lora-dropout", "0.1", "--rslora", "--no-model-dropout");
        assertEquals(0, exit, out + "\n" + err);
        assertTrue(out.toString().contains("2 finished trials, 0 running or interrupted"), out.toString());
        assertTrue(out.toString().contains("best: trial "), out.toString());

        Study study = Study.open(dir, ToyObjectives.quiet());
        List<TrialRecord> records = study.trials();
        assertEquals(2, records.size());
        for (TrialRecord r : records) {
            assertTrue(r.status() == TrialStatus.COMPLETE || r.status() == TrialStatus.PRUNED, r.toString());
            assertEquals("cosine_ndcg@10", r.metric());
            assertEquals(2, r.intermediate().get(0).resource(), "judged after 2 steps");
            assertTrue(r.score() >= 0 && r.score() <= 1, r.toString());
        }
        assertEquals(TrialStatus.COMPLETE, records.get(0).status(), "the first trial has no one to lose to");
        try (Stream<Path> left = Files.list(dir.resolve("work"))) {
            assertEquals(0, left.count(), "each trial's directory is deleted");
        }
        // the validation part is the salted group rule's, disjoint from what trials train on
        long validationGroups = pairs.stream().map(p -> p[2]).distinct()
                .filter(g -> !GroupSplit.isTest(g) && GroupSplit.heldOut(g, GroupSplit.VALIDATION_SALT, 5)).count();
        assertTrue(validationGroups > 0);
    }
}
