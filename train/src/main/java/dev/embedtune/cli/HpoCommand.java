package dev.embedtune.cli;

import dev.embedtune.train.hpo.Study;
import dev.embedtune.train.hpo.StudyReport;
import dev.embedtune.train.hpo.TrialRecord;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune hpo --study DIR --report}: renders the report of a hyperparameter study
 * ({@code DIR/report/report.md}, {@code report.json}, PNG charts) from its recorded trials, and
 * prints the best trial. Works while the study is running (each file is replaced atomically).
 * Running trials needs the trainer's {@link dev.embedtune.train.hpo.Objective}, which this build
 * does not have, so {@code --report} is the one mode.
 */
@Command(name = "hpo", mixinStandardHelpOptions = true,
        description = "Hyperparameter studies: re-render a study's report (best trial, all trials, PNG charts) from DIR.")
public final class HpoCommand implements Callable<Integer> {

    @Option(names = "--study", required = true, paramLabel = "DIR", description = "The study directory (holds study.json and trials/).")
    Path study;

    @Option(names = "--report", required = true,
            description = "Write DIR/report/report.md, report.json, history.png and score_vs_<hyperparameter>.png.")
    boolean report;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Study s = Study.open(study, Study.Options.defaults());
        StudyReport.Files files = StudyReport.write(s);
        List<TrialRecord> trials = s.trials();
        Optional<TrialRecord> best = Study.best(trials);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%d finished trials, %d running or interrupted%n", trials.size(), s.running().size());
        best.ifPresentOrElse(
                b -> out.printf("best: trial %d, %s = %.6g, %s%n", b.id(), b.metric(), b.score(), b.settings()),
                () -> out.println("best: no trial has completed yet"));
        out.println("report: " + files.markdown());
        out.println("        " + files.json());
        out.println("charts: " + files.history().getParent());
        out.flush();
        return 0;
    }
}
