package dev.embedtune.app.hpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.app.hpo.ToyObjectives.Score;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyTest {

    @TempDir
    Path tmp;

    /**
     * 100 trials, lr log-uniform on [1e-6, 1e-2] (4 decades), rank one of 5. A single random trial
     * lands in R = {rank 16, |log10 lr + 4| ≤ 0.5} (score ≥ −0.25) with probability 1/5 · 1/4 = 0.05,
     * so random search misses R in 100 trials with probability 0.95^100 = 0.6 %. Pruning cannot lose
     * it: the toy's intermediate scores rank trials as the final ones do, so the best trial sampled is
     * the best at every rung and always continues.
     */
    @Test
    void findsTheOptimumRegionAndPruningNeverLosesTheBestTrial() throws IOException {
        Study study = Study.create(tmp.resolve("study"), ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE), ToyObjectives.quiet());
        study.optimize(ToyObjectives.TOY, 100);
        List<TrialRecord> records = study.trials();
        assertEquals(100, records.size());

        TrialRecord best = study.best().orElseThrow();
        assertEquals(16, best.settings().loraRank());
        assertTrue(Math.abs(Math.log10(best.settings().learningRate()) + 4) <= 0.5, best.settings().toString());
        assertTrue(best.score() >= -0.25, "best " + best.score());

        double bestSampled = records.stream().mapToDouble(r -> ToyObjectives.optimum(r.settings())).max().orElseThrow();
        assertEquals(bestSampled, best.score(), 1e-12, "the best sampled setting was never pruned");

        // Every trial that beats all earlier ones is best at every rung, so it completes; every
        // pruned trial is worse than the best before it.
        double bestSoFar = Double.NEGATIVE_INFINITY;
        for (TrialRecord r : records) {
            double f = ToyObjectives.optimum(r.settings());
            if (f > bestSoFar) {
                assertEquals(TrialStatus.COMPLETE, r.status(), "trial " + r.id() + " beat every earlier trial");
            }
            if (r.status() == TrialStatus.PRUNED) {
                assertTrue(f < bestSoFar, "trial " + r.id() + " was pruned though it was the best so far");
                long lastRung = r.intermediate().get(r.intermediate().size() - 1).resource();
                assertEquals(f - 1.0 / lastRung, r.score(), 1e-12, "a pruned trial's score is its last report");
            }
            bestSoFar = Math.max(bestSoFar, f);
        }
        long complete = records.stream().filter(r -> r.status() == TrialStatus.COMPLETE).count();
        assertTrue(complete < 50, "successive halving stopped most trials early; complete: " + complete);
    }

    @Test
    void aSeedMakesASingleProcessStudyReproducible() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Study a = Study.create(tmp.resolve("a"), spec, ToyObjectives.quiet());
        Study b = Study.create(tmp.resolve("b"), spec, ToyObjectives.quiet());
        Study c = Study.create(tmp.resolve("c"), spec.withSeed(8), ToyObjectives.quiet());
        a.optimize(ToyObjectives.TOY, 20);
        b.optimize(ToyObjectives.TOY, 20);
        c.optimize(ToyObjectives.TOY, 20);
        assertEquals(summary(a.trials()), summary(b.trials()));
        assertNotEquals(summary(a.trials()), summary(c.trials()));
    }

    private static List<String> summary(List<TrialRecord> records) {
        return records.stream().map(r -> r.id() + " " + r.settings() + " " + r.status() + " " + r.score() + " " + r.intermediate()).toList();
    }

    /** Thrown through the study like a kill: nothing records the trial. */
    static final class Kill extends Error {
        Kill() {
            super("simulated kill");
        }
    }

    @Test
    void aStudyKilledMidTrialResumesWithoutRerunningFinishedTrials() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study first = Study.create(dir, spec, ToyObjectives.quiet());
        AtomicInteger calls = new AtomicInteger();
        Objective dies = (settings, budget, reporter) -> {
            if (calls.getAndIncrement() == 3) {
                reporter.report(1, new Score(-100)); // a report that must not count after the kill
                throw new Kill();
            }
            return ToyObjectives.TOY.run(settings, budget, reporter);
        };
        assertThrows(Kill.class, () -> first.optimize(dies, 6));
        assertEquals(List.of(0, 1, 2), first.trials().stream().map(TrialRecord::id).toList());
        RunningMarker left = first.running().get(0);
        assertEquals(3, left.id());
        Map<Integer, String> before = files(dir.resolve("trials"));

        List<Integer> reran = new ArrayList<>();
        List<TrialSettings> seen = new ArrayList<>();
        Objective counting = (settings, budget, reporter) -> {
            seen.add(settings);
            reran.add(reran.size());
            return ToyObjectives.TOY.run(settings, budget, reporter);
        };
        Study resumed = Study.open(dir, ToyObjectives.quiet()); // a new process would do the same
        List<TrialRecord> written = resumed.optimize(counting, 6);
        assertEquals(List.of(3, 4, 5), written.stream().map(TrialRecord::id).toList(), "the interrupted trial first, then new ones");
        assertEquals(left.settings(), seen.get(0), "the interrupted trial is re-run with its settings");
        assertEquals(2, written.get(0).attempt());
        assertEquals(List.of(new Intermediate(1, ToyObjectives.optimum(left.settings()) - 1)), written.get(0).intermediate().subList(0, 1),
                "the killed run's report is gone");
        Map<Integer, String> after = files(dir.resolve("trials"));
        before.forEach((id, text) -> assertEquals(text, after.get(id), "finished trial " + id + " untouched"));
        assertTrue(resumed.running().isEmpty());

        Study uninterrupted = Study.create(tmp.resolve("reference"), spec, ToyObjectives.quiet());
        uninterrupted.optimize(ToyObjectives.TOY, 6);
        assertEquals(summary(uninterrupted.trials()), summary(resumed.trials()), "resuming gives what an uninterrupted run gives");
    }

    private static Map<Integer, String> files(Path trials) throws IOException {
        Map<Integer, String> out = new HashMap<>();
        for (int id : StudyDirectory.ids(trials)) {
            out.put(id, Files.readString(trials.resolve(String.format("%06d.json", id))));
        }
        return out;
    }

    @Test
    void aMarkerFromAnotherHostIsRunningUntilItsHeartbeatIsStale() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study study = Study.create(dir, spec, ToyObjectives.quiet());
        study.optimize(ToyObjectives.TOY, 3);
        TrialSettings settings3 = spec.space().sample(Study.randomFor(spec.seed(), 3));
        Worker elsewhere = new Worker("another-host", 4242, 1);
        Instant now = Instant.now();
        RunningMarker alive = new RunningMarker(3, 1, settings3, elsewhere, "their-token", now, now, List.of(new Intermediate(1, 5.0)));
        StudyDirectory.writeJson(dir.resolve("running/000003.json"), alive.toJson());

        // Fresh heartbeat: trial 3 is someone else's; the study takes id 4 and counts 3 as used.
        List<TrialRecord> written = study.optimize(ToyObjectives.TOY, 5);
        assertEquals(List.of(4), written.stream().map(TrialRecord::id).toList());
        assertEquals(1, study.running().size());
        // Its rung-1 report (5.0, better than any toy score) took part in trial 4's rung decision.
        assertEquals(TrialStatus.PRUNED, written.get(0).status());

        // Stale heartbeat (older than staleAfter = 60 s): the worker is presumed dead; 3 is run again.
        Instant old = now.minus(Duration.ofMinutes(5));
        StudyDirectory.writeJson(dir.resolve("running/000003.json"),
                new RunningMarker(3, 1, settings3, elsewhere, "their-token", old, old, List.of()).toJson());
        written = study.optimize(ToyObjectives.TOY, 5);
        assertEquals(List.of(3), written.stream().map(TrialRecord::id).toList());
        assertEquals(settings3, written.get(0).settings());
        assertEquals(2, written.get(0).attempt());
        assertTrue(study.running().isEmpty());
    }

    @Test
    void aLargerTrialCountExtendsAFinishedStudy() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study.create(dir, spec, ToyObjectives.quiet()).optimize(ToyObjectives.TOY, 5);
        Map<Integer, String> before = files(dir.resolve("trials"));
        Study again = Study.open(dir, ToyObjectives.quiet());
        assertEquals(List.of(), again.optimize(ToyObjectives.TOY, 5), "a finished study runs nothing more for the same count");
        List<TrialRecord> written = Study.create(dir, spec, ToyObjectives.quiet()).optimize(ToyObjectives.TOY, 8);
        assertEquals(List.of(5, 6, 7), written.stream().map(TrialRecord::id).toList());
        Map<Integer, String> after = files(dir.resolve("trials"));
        before.forEach((id, text) -> assertEquals(text, after.get(id)));

        Study reference = Study.create(tmp.resolve("reference"), spec, ToyObjectives.quiet());
        reference.optimize(ToyObjectives.TOY, 8);
        assertEquals(summary(reference.trials()), summary(again.trials()), "extension draws what one longer run draws");
    }

    @Test
    void aDifferentSpecCannotReuseAStudyDirectory() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study.create(dir, spec, ToyObjectives.quiet());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Study.create(dir, spec.withSeed(99), ToyObjectives.quiet()));
        assertTrue(e.getMessage().contains("seed is 7 in the study but 99 here"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Study.open(tmp.resolve("nothing"), ToyObjectives.quiet()));
    }

    @Test
    void anObjectiveOutOfMemoryIsAFailedTrialAndTheStudyGoesOn() throws IOException {
        Study study = Study.create(tmp.resolve("study"), ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE), ToyObjectives.quiet());
        Objective oomAtRank64 = (settings, budget, reporter) -> {
            if (settings.loraRank() == 64) {
                throw new OutOfMemoryError("out of memory at rank 64");
            }
            return ToyObjectives.TOY.run(settings, budget, reporter);
        };
        study.optimize(oomAtRank64, 15);
        List<TrialRecord> records = study.trials();
        assertEquals(15, records.size());
        for (TrialRecord r : records) {
            assertEquals(r.settings().loraRank() == 64, r.status() == TrialStatus.FAILED, r.toString());
            if (r.status() == TrialStatus.FAILED) {
                assertEquals("OutOfMemoryError: out of memory at rank 64", r.message());
                assertTrue(Double.isNaN(r.score()) && !r.hasScore());
            }
        }
        assertTrue(records.stream().anyMatch(r -> r.status() == TrialStatus.FAILED), "the seed draws rank 64 at least once in 15");
    }

    @Test
    void aMetricTheEvaluationLacksEndsTheStudy() throws IOException {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE).withMetric("cosine_ndcg@10");
        Study study = Study.create(tmp.resolve("study"), spec, ToyObjectives.quiet());
        MetricNotFoundException e = assertThrows(MetricNotFoundException.class, () -> study.optimize(ToyObjectives.TOY, 5));
        assertTrue(e.getMessage().contains("cosine_ndcg@10") && e.getMessage().contains("toy_score"), e.getMessage());
        assertTrue(study.trials().isEmpty());
        assertTrue(study.running().isEmpty(), "the trial is released, not left to look interrupted");
        assertFalse(Files.exists(tmp.resolve("study/trials/000000.json")));
    }

    @Test
    void aHeartbeatKeepsALongTrialFromLookingInterrupted() throws Exception {
        // Heartbeat every 50 ms, stale after 1 s; the trial runs 2.5 s. Without heartbeats its
        // marker would be 1.5 s old when the second study looks, and it would be taken over.
        Study.Options fast = new Study.Options(Duration.ofMillis(50), Duration.ofSeconds(1), line -> { });
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study first = Study.create(dir, spec, fast);
        Thread runner = new Thread(() -> {
            try {
                first.optimize((settings, budget, reporter) -> {
                    Thread.sleep(2500);
                    return TrialOutcome.complete(new Score(1));
                }, 1);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        runner.start();
        Thread.sleep(1500);
        RunningMarker marker = first.running().get(0);
        assertTrue(Duration.between(marker.started(), marker.heartbeat()).toMillis() >= 1000,
                "heartbeat refreshed: started " + marker.started() + ", heartbeat " + marker.heartbeat());
        Study second = Study.open(dir, fast);
        assertEquals(List.of(), second.optimize(ToyObjectives.TOY, 1), "the live trial is not taken over");
        runner.join();
        assertEquals(1, first.trials().size());
        assertEquals(1, first.trials().get(0).attempt());
    }

    @Test
    void threadsSharingAStudyRecordEachTrialOnce() throws Exception {
        StudySpec spec = ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE);
        Path dir = tmp.resolve("study");
        Study.create(dir, spec, ToyObjectives.quiet());
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 3; t++) {
            Thread thread = new Thread(() -> {
                try {
                    Study.open(dir, ToyObjectives.quiet()).optimize(ToyObjectives.TOY, 30);
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), errors);
        List<TrialRecord> records = Study.open(dir, ToyObjectives.quiet()).trials();
        assertEquals(java.util.stream.IntStream.range(0, 30).boxed().toList(), records.stream().map(TrialRecord::id).toList());
        records.forEach(r -> assertEquals(spec.space().sample(Study.randomFor(spec.seed(), r.id())), r.settings()));
    }
}
