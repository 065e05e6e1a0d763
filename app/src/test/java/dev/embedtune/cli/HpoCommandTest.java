package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.app.hpo.Reporter;
import dev.embedtune.app.hpo.Study;
import dev.embedtune.app.hpo.StudySpec;
import dev.embedtune.app.hpo.TrialOutcome;
import dev.embedtune.app.hpo.TrialRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class HpoCommandTest {

    @TempDir
    Path tmp;

    record Ndcg(double value) implements EvaluationResult {
        @Override
        public String primaryMetric() {
            return "cosine_ndcg@10";
        }

        @Override
        public boolean greaterIsBetter() {
            return true;
        }

        @Override
        public Map<String, Double> metrics() {
            return Map.of("cosine_ndcg@10", value);
        }
    }

    @Test
    void reportRendersAnExistingStudy() throws Exception {
        Path space = tmp.resolve("space.yaml");
        Files.writeString(space, """
                budget: {unit: steps, min: 10, max: 90, reduction_factor: 3}
                parameters:
                  learning_rate: {log_uniform: [1.0e-5, 1.0e-3]}
                  batch_size: {choices: [16, 32, 64]}
                """);
        Path dir = tmp.resolve("study");
        Study study = Study.create(dir, StudySpec.read(space), Study.Options.defaults().withLog(l -> { }));
        // NDCG falls with |log10 lr + 4| and batch size: a stand-in for the trainer.
        study.optimize((settings, budget, reporter) -> {
            double ndcg = 0.8 - 0.1 * Math.abs(Math.log10(settings.learningRate()) + 4) - settings.batchSize() / 1000.0;
            for (long rung : budget.rungs()) {
                if (reporter.report(rung, new Ndcg(ndcg - 1.0 / rung)) == Reporter.Verdict.PRUNE) {
                    return TrialOutcome.pruned(null);
                }
            }
            return TrialOutcome.complete(new Ndcg(ndcg));
        }, 12);
        TrialRecord best = study.best().orElseThrow();

        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("hpo", "--study", dir.toString(), "--report"), out.toString());
        assertTrue(out.toString().startsWith("12 finished trials, 0 running or interrupted\n"), out.toString());
        assertTrue(out.toString().contains(String.format("best: trial %d, cosine_ndcg@10 = %.6g", best.id(), best.score())), out.toString());
        for (String f : new String[] {"report.md", "report.json", "history.png", "score_vs_learning_rate.png", "score_vs_batch_size.png"}) {
            assertTrue(Files.size(dir.resolve("report").resolve(f)) > 0, f);
        }
    }

    @Test
    void aDirectoryWithoutAStudyIsAnError() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("hpo", "--study", tmp.resolve("none").toString(), "--report"));
        assertTrue(err.toString().contains("not a study directory (no study.json)"), err.toString());
        StringWriter usage = new StringWriter();
        assertEquals(2, Main.commandLine().setErr(new PrintWriter(usage)).execute("hpo", "--study", tmp.toString()),
                "without --report, running trials needs --trials and --data");
        assertTrue(usage.toString().contains("running trials needs --trials and --data"), usage.toString());
    }
}
