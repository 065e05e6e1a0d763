package dev.embedtune.app.hpo;

import dev.embedtune.app.hpo.ToyObjectives.Score;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A separate JVM working on a study, for {@link StudyProcessesTest}. Arguments: study directory,
 * total trials, this worker's name, the names of all workers (it waits until each has written
 * {@code ready-NAME} so they start together), and optionally {@code halt-at=K}: halt the JVM (as a
 * kill would) inside this worker's K-th trial, after its first report.
 */
public final class StudyWorkerMain {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int total = Integer.parseInt(args[1]);
        String name = args[2];
        String[] all = args[3].split(",");
        int haltAt = args.length > 4 ? Integer.parseInt(args[4].substring("halt-at=".length())) : -1;

        Files.writeString(dir.resolve("ready-" + name), name);
        for (String other : all) {
            while (!Files.exists(dir.resolve("ready-" + other))) {
                Thread.sleep(5);
            }
        }
        AtomicInteger trials = new AtomicInteger();
        Objective slowToy = (settings, budget, reporter) -> {
            int k = trials.getAndIncrement();
            double f = ToyObjectives.optimum(settings);
            for (long rung : budget.rungs()) {
                Thread.sleep(10); // "training", so the workers interleave
                Reporter.Verdict verdict = reporter.report(rung, new Score(f - 1.0 / rung));
                if (k == haltAt) {
                    Runtime.getRuntime().halt(3);
                }
                if (verdict == Reporter.Verdict.PRUNE) {
                    return TrialOutcome.pruned(null);
                }
            }
            return TrialOutcome.complete(new Score(f));
        };
        Study.open(dir, ToyObjectives.quiet()).optimize(slowToy, total);
    }
}
