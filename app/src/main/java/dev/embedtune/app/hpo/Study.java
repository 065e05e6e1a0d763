package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedtune.train.eval.EvaluationResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A hyperparameter study kept in a directory ({@link StudyDirectory} describes the files): random
 * search over a {@link SearchSpace}, trials stopped early by asynchronous successive halving
 * ({@link SuccessiveHalving}), each finished trial recorded the moment it ends.
 *
 * <p>Several processes (or threads, or hosts sharing the directory) may call {@link #optimize} on the
 * same directory at once: a trial is claimed under the study's file lock by writing its running
 * marker, with the next free id, so no id is used twice and no trial is recorded twice.
 *
 * <p>Interruption: a trial whose runner died leaves its marker behind. The next {@link #optimize}
 * (in any process) that finds the marker's worker gone ({@link Worker#isGone}: process no longer
 * exists on this host, or no heartbeat for {@link Options#staleAfter}) runs that trial again, with the
 * same id and settings; finished trials are never run again.
 *
 * <p>Trial counts: {@code optimize(objective, n)} runs trials until the study holds {@code n} in total
 * (finished plus running), so re-running the same command finishes an interrupted study, and a
 * larger {@code n} extends a finished one by the difference.
 */
public final class Study {

    /**
     * @param heartbeatInterval how often a running trial's marker is refreshed
     * @param staleAfter        a marker not refreshed for this long belongs to a dead worker (the only
     *                          test for workers on other hosts); several heartbeat intervals
     * @param log               progress lines (one per trial)
     */
    public record Options(Duration heartbeatInterval, Duration staleAfter, Consumer<String> log) {
        public Options {
            if (heartbeatInterval.isNegative() || heartbeatInterval.isZero() || staleAfter.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("need 0 < 2 × heartbeatInterval <= staleAfter, got " + heartbeatInterval + ", " + staleAfter);
            }
            Objects.requireNonNull(log, "log");
        }

        /** Heartbeat every 10 s, stale after 60 s, log to standard error. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(10), Duration.ofSeconds(60), System.err::println);
        }

        public Options withLog(Consumer<String> log) {
            return new Options(heartbeatInterval, staleAfter, log);
        }
    }

    private final StudyDirectory dir;
    private final StudySpec spec;
    private final Options options;
    /** Finished records are never rewritten, so each file is read once. */
    private final Map<Integer, TrialRecord> finished = new HashMap<>();

    private Study(StudyDirectory dir, StudySpec spec, Options options) {
        this.dir = dir;
        this.spec = spec;
        this.options = options;
    }

    /**
     * Creates the study in {@code directory}, or opens it when it exists with the same spec.
     *
     * @throws IllegalArgumentException when the directory holds a study with a different spec,
     *                                  naming the fields that differ
     */
    public static Study create(Path directory, StudySpec spec, Options options) throws IOException {
        StudyDirectory dir = new StudyDirectory(directory);
        dir.locked(() -> {
            if (Files.exists(dir.spec)) {
                StudySpec existing = readSpec(dir);
                if (!existing.equals(spec)) {
                    throw new IllegalArgumentException(dir.spec + " holds a different study: " + differences(existing.toJson(), spec.toJson())
                            + "; use a new directory, or the same space file, metric and seed to resume or extend");
                }
            } else {
                StudyDirectory.writeJson(dir.spec, spec.toJson());
            }
            return null;
        });
        return new Study(dir, spec, options);
    }

    /** Opens an existing study (to resume it, extend it or report on it). */
    public static Study open(Path directory, Options options) throws IOException {
        if (!Files.isRegularFile(directory.resolve("study.json"))) {
            throw new NoSuchFileException(directory.resolve("study.json").toString(), null, "not a study directory (no study.json)");
        }
        StudyDirectory dir = new StudyDirectory(directory);
        return new Study(dir, readSpec(dir), options);
    }

    public StudySpec spec() {
        return spec;
    }

    public Path directory() {
        return dir.root;
    }

    /** Where {@link StudyReport} writes. */
    public Path reportDirectory() {
        return dir.report;
    }

    /** The finished trials, by id. */
    public List<TrialRecord> trials() throws IOException {
        synchronized (finished) {
            refreshFinished();
            List<TrialRecord> all = new ArrayList<>(finished.values());
            all.sort(Comparator.comparingInt(TrialRecord::id));
            return all;
        }
    }

    /** The claimed, unfinished trials (running, or interrupted and waiting to be run again), by id. */
    public List<RunningMarker> running() throws IOException {
        List<RunningMarker> markers = new ArrayList<>();
        for (int id : StudyDirectory.ids(dir.running)) {
            RunningMarker m = readMarker(id);
            if (m != null) {
                markers.add(m);
            }
        }
        return markers;
    }

    /** The best COMPLETE trial (pruned trials' scores are from smaller budgets and are not compared). */
    public Optional<TrialRecord> best() throws IOException {
        return best(trials());
    }

    /** The best COMPLETE trial among {@code records}; ties go to the lower id. */
    public static Optional<TrialRecord> best(List<TrialRecord> records) {
        List<TrialRecord> complete = records.stream().filter(r -> r.status() == TrialStatus.COMPLETE && r.hasScore()).toList();
        if (complete.isEmpty()) {
            return Optional.empty();
        }
        boolean greater = direction(complete);
        Comparator<TrialRecord> byScore = Comparator.comparingDouble(TrialRecord::score);
        Comparator<TrialRecord> better = (greater ? byScore.reversed() : byScore).thenComparingInt(TrialRecord::id);
        return complete.stream().min(better);
    }

    /** The metric direction the scored records share. */
    static boolean direction(List<TrialRecord> scored) {
        Boolean greater = null;
        for (TrialRecord r : scored) {
            if (r.greaterIsBetter() == null) {
                continue;
            }
            if (greater != null && !greater.equals(r.greaterIsBetter())) {
                throw new IllegalStateException("trial " + r.id() + " has greater_is_better " + r.greaterIsBetter()
                        + " but earlier trials have " + greater + "; the study mixes metrics of opposite directions");
            }
            greater = r.greaterIsBetter();
        }
        return greater == null || greater;
    }

    /**
     * Runs trials until the study holds {@code totalTrials} (finished or running), re-running any
     * interrupted ones first.
     *
     * @return the records this call wrote, in the order they finished
     * @throws MetricNotFoundException when an evaluation lacks the study's metric
     */
    public List<TrialRecord> optimize(Objective objective, int totalTrials) throws IOException {
        if (totalTrials < 1) {
            throw new IllegalArgumentException("totalTrials must be >= 1, got " + totalTrials);
        }
        List<TrialRecord> written = new ArrayList<>();
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hpo-heartbeat");
            t.setDaemon(true);
            return t;
        });
        try {
            while (true) {
                RunningMarker claim = dir.locked(() -> claimNext(totalTrials));
                if (claim == null) {
                    return written;
                }
                TrialRecord record = run(objective, claim, heartbeat);
                if (record != null) {
                    written.add(record);
                }
            }
        } finally {
            heartbeat.shutdownNow();
        }
    }

    /** Under the lock: an interrupted trial to run again, else a new one, else null when the study is full. */
    private RunningMarker claimNext(int totalTrials) throws IOException {
        TreeSet<Integer> used = StudyDirectory.ids(dir.trials);
        Instant now = Instant.now();
        for (RunningMarker m : running()) {
            if (used.contains(m.id())) {
                // Left behind by a runner that died between writing the record and deleting the marker.
                StudyDirectory.deleteQuietly(dir.markerFile(m.id()));
                continue;
            }
            used.add(m.id());
            if (Worker.isGone(m.worker(), m.token(), m.heartbeat(), now, options.staleAfter())) {
                options.log().accept("hpo: trial " + m.id() + " was interrupted (worker " + m.worker().label()
                        + ", last heartbeat " + m.heartbeat() + "); running it again");
                RunningMarker again = new RunningMarker(m.id(), m.attempt() + 1, m.settings(), Worker.current(),
                        UUID.randomUUID().toString(), now, now, List.of());
                StudyDirectory.writeJson(dir.markerFile(again.id()), again.toJson());
                return again;
            }
        }
        if (used.size() >= totalTrials) {
            return null;
        }
        int id = used.isEmpty() ? 0 : used.last() + 1;
        TrialSettings settings = spec.space().sample(randomFor(spec.seed(), id));
        RunningMarker claim = new RunningMarker(id, 1, settings, Worker.current(), UUID.randomUUID().toString(), now, now, List.of());
        StudyDirectory.writeJson(dir.markerFile(id), claim.toJson());
        return claim;
    }

    /** Trial {@code id}'s generator depends on (seed, id) only, so the draws do not depend on which process or when. */
    static SplittableRandom randomFor(long seed, int id) {
        return new SplittableRandom(mix64(seed ^ mix64(0x9E3779B97F4A7C15L * (id + 1L))));
    }

    /** Stafford's variant 13 of the MurmurHash3 finaliser. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Runs one claimed trial and records it; null when another worker recorded it first. */
    private TrialRecord run(Objective objective, RunningMarker claim, ScheduledExecutorService heartbeat) throws IOException {
        Worker.activate(claim.token());
        TrialRun trial = new TrialRun(claim);
        var beat = heartbeat.scheduleAtFixedRate(trial::heartbeat, options.heartbeatInterval().toMillis(),
                options.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        TrialOutcome outcome;
        try {
            try {
                outcome = objective.run(claim.settings(), spec.budget(), trial);
                if (outcome == null) {
                    outcome = TrialOutcome.failed("the objective returned null");
                }
            } catch (Exception | OutOfMemoryError e) {
                // Out of memory is a property of the settings (batch size, rank), not of the study:
                // the trial's arrays are garbage once unwound, so the next trial can run.
                if (trial.metricError != null) {
                    throw trial.metricError;
                }
                outcome = TrialOutcome.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            if (trial.metricError != null) {
                throw trial.metricError;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            TrialRecord record = trial.record(outcome, seconds);
            boolean committed = dir.locked(() -> commit(record, claim.token()));
            if (!committed) {
                options.log().accept("hpo: trial " + claim.id() + " was already recorded by another worker; this run's result is discarded");
                return null;
            }
            options.log().accept(String.format("hpo: trial %d %s %s=%s in %.1f s %s%s", record.id(), record.status(), record.metric(),
                    Double.isNaN(record.score()) ? "-" : String.format("%.6g", record.score()), seconds, record.settings(),
                    record.message() == null ? "" : " (" + record.message() + ")"));
            return record;
        } catch (MetricNotFoundException e) {
            dir.locked(() -> {
                deleteMarkerIfOurs(claim.id(), claim.token());
                return null;
            });
            throw e;
        } finally {
            beat.cancel(false);
            Worker.deactivate(claim.token());
        }
    }

    /** Under the lock: writes the record unless one exists, and removes our marker. */
    private boolean commit(TrialRecord record, String token) throws IOException {
        Path file = dir.trialFile(record.id());
        boolean fresh = !Files.exists(file);
        if (fresh) {
            StudyDirectory.writeJson(file, record.toJson());
        }
        deleteMarkerIfOurs(record.id(), token);
        return fresh;
    }

    private void deleteMarkerIfOurs(int id, String token) throws IOException {
        RunningMarker m = readMarker(id);
        if (m != null && m.token().equals(token)) {
            Files.deleteIfExists(dir.markerFile(id));
        }
    }

    private RunningMarker readMarker(int id) throws IOException {
        Path file = dir.markerFile(id);
        JsonNode node = StudyDirectory.readJsonIfExists(file);
        return node == null ? null : RunningMarker.fromJson(node, spec.space(), file.toString());
    }

    private void refreshFinished() throws IOException {
        for (int id : StudyDirectory.ids(dir.trials)) {
            if (!finished.containsKey(id)) {
                Path file = dir.trialFile(id);
                JsonNode node = StudyDirectory.readJsonIfExists(file);
                if (node != null) {
                    finished.put(id, TrialRecord.fromJson(node, spec.space(), file.toString()));
                }
            }
        }
    }

    /** The scores all other trials (finished or running) recorded at a rung, plus their direction. */
    private List<Double> rungScores(long rung, int self, boolean greaterIsBetter) throws IOException {
        List<Double> scores = new ArrayList<>();
        synchronized (finished) {
            refreshFinished();
            for (TrialRecord r : finished.values()) {
                if (r.id() != self && SuccessiveHalving.reached(r.intermediate(), rung)) {
                    if (r.greaterIsBetter() != null && r.greaterIsBetter() != greaterIsBetter) {
                        throw new IllegalStateException("trial " + r.id() + " measured " + r.metric() + " with greater_is_better "
                                + r.greaterIsBetter() + ", trial " + self + " the opposite; cannot compare them at rung " + rung);
                    }
                    scores.add(SuccessiveHalving.rungScore(r.intermediate(), rung));
                }
            }
        }
        for (RunningMarker m : running()) {
            if (m.id() != self && SuccessiveHalving.reached(m.intermediate(), rung)) {
                scores.add(SuccessiveHalving.rungScore(m.intermediate(), rung));
            }
        }
        return scores;
    }

    /** One run of a trial: its reporter, heartbeat and, at the end, its record. */
    private final class TrialRun implements Reporter {
        private final RunningMarker claim;
        private final List<Intermediate> reports = new ArrayList<>();
        private EvaluationResult last;
        private String metricKey;
        private Boolean greaterIsBetter;
        private int rungsJudged;
        private String pruneReason;
        private volatile MetricNotFoundException metricError;

        TrialRun(RunningMarker claim) {
            this.claim = claim;
        }

        @Override
        public synchronized Verdict report(long resource, EvaluationResult result) {
            double score = score(result);
            if (!reports.isEmpty() && resource < reports.get(reports.size() - 1).resource()) {
                throw new IllegalArgumentException("trial " + claim.id() + " reported resource " + resource + " after "
                        + reports.get(reports.size() - 1).resource() + "; reports must not go back");
            }
            reports.add(new Intermediate(resource, score));
            last = result;
            greaterIsBetter = result.greaterIsBetter();
            try {
                return dir.locked(() -> {
                    writeMarker();
                    List<Long> rungs = spec.budget().rungs();
                    while (pruneReason == null && rungsJudged < rungs.size() && rungs.get(rungsJudged) <= resource) {
                        long rung = rungs.get(rungsJudged);
                        double own = SuccessiveHalving.rungScore(reports, rung);
                        List<Double> scores = rungScores(rung, claim.id(), greaterIsBetter);
                        scores.add(own);
                        if (!SuccessiveHalving.continues(own, scores, spec.budget().reductionFactor(), greaterIsBetter)) {
                            pruneReason = String.format("pruned at rung %d (%s %d): %s=%.6g not in the top 1/%d of %d",
                                    rungsJudged, spec.budget().unit().name().toLowerCase(), rung, metricKey, own,
                                    spec.budget().reductionFactor(), scores.size());
                        }
                        rungsJudged++;
                    }
                    return pruneReason == null ? Verdict.CONTINUE : Verdict.PRUNE;
                });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot record trial " + claim.id() + "'s report in " + dir.root, e);
            }
        }

        private double score(EvaluationResult result) {
            String key = spec.metric() != null ? spec.metric() : result.primaryMetric();
            Double v = result.metrics().get(key);
            if (v == null) {
                metricError = new MetricNotFoundException(key, result.metrics().keySet());
                throw metricError;
            }
            metricKey = key;
            return v;
        }

        /** Under the lock: rewrites the marker with the reports so far, if the claim is still ours. */
        private void writeMarker() throws IOException {
            RunningMarker onDisk = readMarker(claim.id());
            if (onDisk == null || !onDisk.token().equals(claim.token())) {
                return; // taken over (we were thought dead) or already recorded: leave it to its owner
            }
            RunningMarker m = new RunningMarker(claim.id(), claim.attempt(), claim.settings(), claim.worker(), claim.token(),
                    claim.started(), Instant.now(), reports);
            StudyDirectory.writeJson(dir.markerFile(claim.id()), m.toJson());
        }

        void heartbeat() {
            try {
                synchronized (this) {
                    dir.locked(() -> {
                        writeMarker();
                        return null;
                    });
                }
            } catch (IOException | RuntimeException e) {
                options.log().accept("hpo: heartbeat of trial " + claim.id() + " failed: " + e);
            }
        }

        synchronized TrialRecord record(TrialOutcome outcome, double seconds) {
            Instant now = Instant.now();
            String label = claim.worker().label();
            return switch (outcome.status()) {
                case COMPLETE -> {
                    EvaluationResult r = outcome.result();
                    double score = score(r);
                    yield new TrialRecord(claim.id(), TrialStatus.COMPLETE, claim.settings(), score, metricKey, r.greaterIsBetter(),
                            r.metrics(), reports, seconds, outcome.message(), claim.attempt(), label, claim.started(), now);
                }
                case PRUNED -> new TrialRecord(claim.id(), TrialStatus.PRUNED, claim.settings(),
                        reports.isEmpty() ? Double.NaN : reports.get(reports.size() - 1).score(), metricKey, greaterIsBetter,
                        last == null ? Map.of() : last.metrics(), reports, seconds,
                        outcome.message() != null ? outcome.message() : pruneReason, claim.attempt(), label, claim.started(), now);
                case FAILED -> new TrialRecord(claim.id(), TrialStatus.FAILED, claim.settings(), Double.NaN, metricKey, greaterIsBetter,
                        last == null ? Map.of() : last.metrics(), reports, seconds, outcome.message(), claim.attempt(), label,
                        claim.started(), now);
            };
        }
    }

    private static StudySpec readSpec(StudyDirectory dir) throws IOException {
        JsonNode node = StudyDirectory.readJsonIfExists(dir.spec);
        if (node == null) {
            throw new NoSuchFileException(dir.spec.toString(), null, "not a study directory (no study.json)");
        }
        return StudySpec.fromJson(node, dir.spec.toString());
    }

    private static String differences(JsonNode existing, JsonNode given) {
        List<String> out = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>();
        existing.fieldNames().forEachRemaining(keys::add);
        given.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            if (!Objects.equals(existing.get(k), given.get(k))) {
                out.add(k + " is " + existing.get(k) + " in the study but " + given.get(k) + " here");
            }
        }
        return String.join("; ", out);
    }

}
