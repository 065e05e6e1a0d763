package dev.embedtune.app.hpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.app.hpo.Reporter.Verdict;
import dev.embedtune.app.hpo.ToyObjectives.Score;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuccessiveHalvingTest {

    @TempDir
    Path tmp;

    @Test
    void rungsAreMinTimesEtaToTheKBelowMax() {
        assertEquals(List.of(100L, 300L, 900L), new Budget(Budget.Unit.STEPS, 100, 2700, 3).rungs());
        assertEquals(List.of(1L, 4L, 16L), new Budget(Budget.Unit.STEPS, 1, 20, 4).rungs());
        assertEquals(List.of(), new Budget(Budget.Unit.EPOCHS, 3, 3, 3).rungs(), "min == max: plain random search");
    }

    @Test
    void theTopOneOverEtaContinues() {
        // n < η: only the best so far continues.
        assertTrue(SuccessiveHalving.continues(0.5, List.of(0.5), 3, true));
        assertFalse(SuccessiveHalving.continues(0.4, List.of(0.5, 0.4), 3, true));
        // n = 6, η = 3: the best 2 continue; a tie with the 2nd continues.
        List<Double> six = List.of(0.1, 0.9, 0.5, 0.7, 0.3, 0.6);
        assertTrue(SuccessiveHalving.continues(0.7, six, 3, true));
        assertFalse(SuccessiveHalving.continues(0.6, six, 3, true));
        // Minimising, the same six: the smallest 2 (0.1, 0.3).
        assertTrue(SuccessiveHalving.continues(0.3, six, 3, false));
        assertFalse(SuccessiveHalving.continues(0.5, six, 3, false));
        // NaN is the worst, and never continues.
        assertFalse(SuccessiveHalving.continues(Double.NaN, List.of(Double.NaN), 3, true));
        assertTrue(SuccessiveHalving.continues(0.0, List.of(Double.NaN, 0.0), 3, true));
    }

    /**
     * Trials report scripted scores at rungs 1 and 3 (budget 1..9, η 3) and complete at 9; each
     * verdict below was worked out by hand with the rule "top max(1, ⌊n/3⌋) of the n scores at the
     * rung, itself included, ties continue":
     * <pre>
     * trial rung-1 (n, keep, threshold)  rung-3 (n, keep, threshold)  →
     * 0     .50 (1,1,.50) C              .60 (1,1,.60) C               COMPLETE
     * 1     .40 (2,1,.50) P                                            PRUNED at rung 0
     * 2     .55 (3,1,.55) C              .58 (2,1,.60) P               PRUNED at rung 1
     * 3     .52 (4,1,.55) P                                            PRUNED
     * 4     .53 (5,1,.55) P                                            PRUNED
     * 5     .51 (6,2,.53) P                                            PRUNED
     * 6     .54 (7,2,.54) C              .65 (3,1,.65) C               COMPLETE
     * 7     .53 (8,2,.54) P                                            PRUNED
     * 8     .90 (9,3,.54) C              .62 (4,1,.65) P               PRUNED at rung 1
     * 9     .55 (10,3,.55) C (tie)       .65 (5,1,.65) C (tie)         COMPLETE
     * </pre>
     */
    @Test
    void aStudyPrunesExactlyAsTheRungRuleSays() throws IOException {
        double[][] script = {
                {.50, .60}, {.40, 0}, {.55, .58}, {.52, 0}, {.53, 0}, {.51, 0}, {.54, .65}, {.53, 0}, {.90, .62}, {.55, .65}};
        List<List<Verdict>> verdicts = new ArrayList<>();
        StudySpec spec = ToyObjectives.spec(tmp, """
                budget: {unit: steps, min: 1, max: 9, reduction_factor: 3}
                parameters: {learning_rate: {log_uniform: [1.0e-5, 1.0e-3]}}
                """);
        Study study = Study.create(tmp.resolve("study"), spec, ToyObjectives.quiet());
        Objective scripted = (settings, budget, reporter) -> {
            int id = verdicts.size();
            List<Verdict> mine = new ArrayList<>();
            verdicts.add(mine);
            for (int k = 0; k < 2; k++) {
                Verdict v = reporter.report(budget.rungs().get(k), new Score(script[id][k]));
                mine.add(v);
                if (v == Verdict.PRUNE) {
                    return TrialOutcome.pruned(null);
                }
            }
            return TrialOutcome.complete(new Score(1 + id / 100.0));
        };
        study.optimize(scripted, script.length);

        Verdict c = Verdict.CONTINUE;
        Verdict p = Verdict.PRUNE;
        assertEquals(List.of(List.of(c, c), List.of(p), List.of(c, p), List.of(p), List.of(p), List.of(p), List.of(c, c), List.of(p),
                List.of(c, p), List.of(c, c)), verdicts);
        List<TrialRecord> records = study.trials();
        List<TrialStatus> statuses = records.stream().map(TrialRecord::status).toList();
        TrialStatus done = TrialStatus.COMPLETE;
        TrialStatus cut = TrialStatus.PRUNED;
        assertEquals(List.of(done, cut, cut, cut, cut, cut, done, cut, cut, done), statuses);
        assertEquals(0.58, records.get(2).score(), 0.0, "a pruned trial keeps its last score");
        assertEquals(List.of(new Intermediate(1, .55), new Intermediate(3, .58)), records.get(2).intermediate());
        assertTrue(records.get(2).message().startsWith("pruned at rung 1 (steps 3): toy_score=0.580000 not in the top 1/3 of 2"),
                records.get(2).message());
        assertEquals(1.09, records.get(9).score(), 0.0);
        assertEquals(9, study.best().orElseThrow().id());
        assertEquals(Map.of("toy_score", 1.09), records.get(9).metrics());
    }
}
