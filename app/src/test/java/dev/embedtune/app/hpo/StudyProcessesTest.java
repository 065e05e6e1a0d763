package dev.embedtune.app.hpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Studies shared by separate JVMs ({@link StudyWorkerMain}), started with this test's classpath. */
class StudyProcessesTest {

    @TempDir
    Path tmp;

    private Process worker(Path dir, int total, String name, String all, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                StudyWorkerMain.class.getName(), dir.toString(), Integer.toString(total), name, all));
        command.addAll(List.of(extra));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile()).start();
    }

    private int await(Process p, String name) throws Exception {
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), name + " did not finish in 120 s");
        return p.exitValue();
    }

    @Test
    void twoProcessesShareAStudyWithoutCollisions() throws Exception {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study.create(dir, spec, ToyObjectives.quiet());
        int total = 30;
        Process a = worker(dir, total, "a", "a,b");
        Process b = worker(dir, total, "b", "a,b");
        assertEquals(0, await(a, "a"), Files.readString(tmp.resolve("a.log")));
        assertEquals(0, await(b, "b"), Files.readString(tmp.resolve("b.log")));

        Study study = Study.open(dir, ToyObjectives.quiet());
        List<TrialRecord> records = study.trials(); // parses every file: none is corrupt
        assertEquals(IntStream.range(0, total).boxed().toList(), records.stream().map(TrialRecord::id).toList(),
                "each id recorded once, none skipped");
        assertTrue(study.running().isEmpty());
        for (String sub : List.of("trials", "running")) {
            try (Stream<Path> files = Files.list(dir.resolve(sub))) {
                List<String> stray = files.map(f -> f.getFileName().toString()).filter(f -> !f.matches("\\d{6}\\.json")).toList();
                assertEquals(List.of(), stray, "no temporary file left in " + sub);
            }
        }
        for (TrialRecord r : records) {
            assertEquals(spec.space().sample(Study.randomFor(spec.seed(), r.id())), r.settings(),
                    "trial " + r.id() + "'s settings depend on (seed, id) only, whichever process ran it");
            assertEquals(1, r.attempt());
        }
        Set<String> workers = records.stream().map(TrialRecord::worker).collect(Collectors.toSet());
        assertEquals(2, workers.size(), "both processes ran trials: " + workers);
        // The best sampled setting still completes: rung decisions saw both processes' reports.
        double bestSampled = records.stream().mapToDouble(r -> ToyObjectives.optimum(r.settings())).max().orElseThrow();
        assertEquals(bestSampled, study.best().orElseThrow().score(), 1e-12);
    }

    @Test
    void aKilledProcessLeavesItsTrialToBeRunAgain() throws Exception {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study.create(dir, spec, ToyObjectives.quiet());
        Process killed = worker(dir, 6, "k", "k", "halt-at=3");
        assertEquals(3, await(killed, "k"), "halted inside its 4th trial: " + Files.readString(tmp.resolve("k.log")));

        Study study = Study.open(dir, ToyObjectives.quiet());
        assertEquals(List.of(0, 1, 2), study.trials().stream().map(TrialRecord::id).toList());
        RunningMarker left = study.running().get(0);
        assertEquals(3, left.id());
        assertEquals(killed.pid(), left.worker().pid());
        assertEquals(1, left.intermediate().size(), "the marker held the dead trial's report");
        List<String> before = new ArrayList<>();
        for (int id = 0; id < 3; id++) {
            before.add(Files.readString(dir.resolve(String.format("trials/%06d.json", id))));
        }

        // Its process is gone, so the heartbeat need not go stale first (this host can check).
        List<TrialRecord> written = study.optimize(ToyObjectives.TOY, 6);
        assertEquals(List.of(3, 4, 5), written.stream().map(TrialRecord::id).toList());
        assertEquals(2, written.get(0).attempt());
        assertEquals(left.settings(), written.get(0).settings());
        for (int id = 0; id < 3; id++) {
            assertEquals(before.get(id), Files.readString(dir.resolve(String.format("trials/%06d.json", id))), "trial " + id + " not re-run");
        }
        assertTrue(study.running().isEmpty());
    }
}
