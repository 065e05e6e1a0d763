package dev.embedtune.bench.suite;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs the JMH suite (every benchmark in {@code dev.embedtune.bench}, or those matching the
 * given patterns) in quick or full mode, then the PyTorch peers ({@link PythonPeer}) at the same
 * shapes, and turns it all into one {@link ResultFile}.
 *
 * <p>Quick mode also shrinks the workloads through JMH parameters ({@link #QUICK_PARAMS}); each
 * benchmark's entry states the parameters it ran with, so quick figures are never mistaken for
 * full ones. The peers' shapes follow the same table.
 */
public final class SuiteRunner {

    /** How long the suite runs. */
    public enum Mode {
        /**
         * A smoke run under two minutes: in-process (no fork), one warm-up and two measurements of
         * 0.3 s (an iteration lasts at least one invocation), smaller shapes. In-process, each
         * entry's peak RSS is the suite JVM's high-water mark so far, not the benchmark's own.
         */
        QUICK,
        /** The figures for docs/BENCHMARKS.md: forked, 3 warm-ups and 5 measurements of 5 s. */
        FULL
    }

    /**
     * The JMH parameters quick mode overrides (full mode uses each benchmark's declared defaults).
     * A benchmark's unit of work stays the same (a text stays a text) so items/s keep their meaning;
     * only its size shrinks.
     */
    static final Map<String, String> QUICK_PARAMS = Map.of(
            "tokens", "32",              // EmbeddingBenchmark fixed batch: 32 texts × 32 tokens (full: × 128)
            "maxTokens", "32",           // EmbeddingBenchmark Jargon passages truncated at 32 (full: 256)
            "passageLimit", "1000",      // TokenizerBenchmark: the first 1,000 passages (full: all)
            "corpusSize", "20000",       // InformationRetrievalEvaluatorBenchmark (full: 100,000)
            "queries", "200",            // InformationRetrievalEvaluatorBenchmark (full: 1,000)
            "bm25Pairs", "500",          // HardNegativeMiningBenchmark: first 500 Jargon pairs (full: all)
            "denseQueries", "1000",      // HardNegativeMiningBenchmark dense (full: 10,000)
            "denseCorpus", "5000",       // HardNegativeMiningBenchmark dense (full: 20,000)
            "trainPairs", "8",           // training step (hook below) and pytorch_train_step (full: 32)
            "trainTokens", "64");        // training step (hook below) and pytorch_train_step (full: 128)

    /** The JMH benchmarks the inference peer stands beside (same batch of 32 texts, same tokens). */
    static final List<String> INFERENCE_BENCHMARKS = List.of(
            "dev.embedtune.bench.EmbeddingBenchmark.oursBatch32",
            "dev.embedtune.bench.EmbeddingBenchmark.oursLayerwiseBatch32",
            "dev.embedtune.bench.EmbeddingBenchmark.oursNf4Batch32",
            "dev.embedtune.bench.EmbeddingBenchmark.onnxRuntimeBatch32");

    /**
     * Hook for the training-step benchmark (its Java side comes later): JMH methods named
     * {@code training_step_lora_fp32} and {@code training_step_qlora_nf4}, one op = one step of
     * {@code trainPairs} anchors + as many positives × {@code trainTokens} tokens (declare both as
     * {@code @Param}, defaults 32 and 128) on all-MiniLM-L6-v2, are compared with the peer
     * {@code pytorch_train_step}, which runs at the same shape in both modes. Until they exist the
     * peer is recorded alone, with a note.
     */
    static final List<String> TRAINING_STEP_BENCHMARKS = List.of("training_step_lora_fp32", "training_step_qlora_nf4");

    private SuiteRunner() {
    }

    /** The peers of a run: shapes follow the JMH benchmarks they stand beside. */
    static List<PythonPeer.Spec> peerSpecs(Mode mode, int peerThreads) {
        boolean quick = mode == Mode.QUICK;
        int warmup = quick ? 1 : 3, iterations = quick ? 2 : 10;
        int inferenceTokens = quick ? Integer.parseInt(QUICK_PARAMS.get("tokens")) : 128;
        return List.of(
                new PythonPeer.Spec("pytorch_inference", "inference", "minilm", 32, inferenceTokens, peerThreads,
                        warmup, iterations, INFERENCE_BENCHMARKS),
                new PythonPeer.Spec("pytorch_train_step", "train-step", "minilm",
                        quick ? Integer.parseInt(QUICK_PARAMS.get("trainPairs")) : 32,
                        quick ? Integer.parseInt(QUICK_PARAMS.get("trainTokens")) : 128,
                        peerThreads, quick ? 1 : 2, quick ? 2 : 5, TRAINING_STEP_BENCHMARKS));
    }

    /** A peer runs when no pattern is given, or a pattern finds its id or a benchmark it stands beside. */
    static boolean selected(PythonPeer.Spec spec, List<String> includes) {
        if (includes.isEmpty()) {
            return true;
        }
        for (String include : includes) {
            Pattern p = Pattern.compile(include);
            if (p.matcher(spec.id()).find() || spec.comparesTo().stream().anyMatch(c -> p.matcher(c).find())) {
                return true;
            }
        }
        return false;
    }

    /** The suite with its peers on as many threads as the machine has cores. */
    public static ResultFile run(Mode mode, List<String> includes, int threads) throws RunnerException {
        return run(mode, includes, threads, Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param threads     JMH threads per benchmark (0 = JMH's default)
     * @param peerThreads torch threads of the peers; 0 runs no peer (they are then absent from the file)
     */
    public static ResultFile run(Mode mode, List<String> includes, int threads, int peerThreads)
            throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .addProfiler(PeakMemoryProfiler.class)
                .shouldFailOnError(true)
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector");
        if (includes.isEmpty()) {
            options.include("dev\\.embedtune\\.bench\\..*");
        } else {
            includes.forEach(options::include);
        }
        if (mode == Mode.QUICK) {
            // In-process keeps the smoke run inside two minutes: the JVM and ND4J start once.
            options.forks(0).warmupIterations(1).warmupTime(TimeValue.milliseconds(300))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(300));
            QUICK_PARAMS.forEach(options::param);
        } else {
            options.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(5))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(5));
        }
        if (threads > 0) {
            options.threads(threads);
        }
        List<PythonPeer.Spec> peerSpecs = peerThreads <= 0 ? List.of()
                : peerSpecs(mode, peerThreads).stream().filter(s -> selected(s, includes)).toList();
        boolean anyBenchmark = !BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                includes.isEmpty() ? List.of("dev\\.embedtune\\.bench\\..*") : includes, List.of()).isEmpty();
        if (!anyBenchmark && peerSpecs.isEmpty()) {
            throw new IllegalArgumentException("no benchmark or peer matches " + includes);
        }
        List<BenchmarkResult> rows = new ArrayList<>();
        if (anyBenchmark) {   // a pattern may name only a peer, e.g. training_step before its Java side exists
            for (RunResult r : new Runner(options.build()).run()) {
                rows.add(toResult(r));
            }
        }
        List<PeerResult> peers = new ArrayList<>();
        PythonPeer.Interpreter python = peerSpecs.isEmpty() ? null : PythonPeer.findPython();
        for (PythonPeer.Spec spec : peerSpecs) {
            peers.add(withPartnerNote(PythonPeer.run(spec, python, mode == Mode.QUICK ? 300 : 3600), rows));
        }
        return new ResultFile(mode.name().toLowerCase(), MachineInfo.detect().toMap(), rows, peers);
    }

    /** Says in the peer's note when none of the benchmarks it stands beside is in this run. */
    static PeerResult withPartnerNote(PeerResult peer, List<BenchmarkResult> rows) {
        boolean present = rows.stream().anyMatch(b -> peer.comparesTo().stream()
                .anyMatch(c -> b.name().equals(c) || b.name().endsWith("." + c)));
        if (present) {
            return peer;
        }
        String note = peer.note() + " [no JMH benchmark it compares to (" + String.join(", ", peer.comparesTo())
                + ") is in this run]";
        return new PeerResult(peer.id(), peer.comparesTo(), peer.status(), note, peer.params(),
                peer.iterationSeconds(), peer.medianSeconds(), peer.item(), peer.itemsPerSecond(), peer.peakRssMb(),
                peer.runtime());
    }

    static BenchmarkResult toResult(RunResult run) {
        BenchmarkParams params = run.getParams();
        Result<?> primary = run.getPrimaryResult();
        Map<String, String> jmhParams = new LinkedHashMap<>();
        for (String key : params.getParamsKeys()) {
            jmhParams.put(key, params.getParam(key));
        }
        String unit = primary.getScoreUnit();
        Statistics stats = primary.getStatistics();
        Map<String, Double> latency = new LinkedHashMap<>();
        boolean timePerOp = unit.endsWith("/op");
        for (double p : new double[] {50, 90, 99}) {
            // A throughput's low percentiles are the slow ops: latency p90 comes from throughput p10.
            double value = timePerOp ? stats.getPercentile(p) : stats.getPercentile(100 - p);
            latency.put("p" + (int) p, Units.millisPerOp(value, unit));
        }
        latency.put("max", Units.millisPerOp(timePerOp ? stats.getMax() : stats.getMin(), unit));
        Map<String, Double> secondary = new LinkedHashMap<>();
        double rss = Double.NaN, device = Double.NaN;
        for (Map.Entry<String, Result> e : run.getSecondaryResults().entrySet()) {
            switch (e.getKey()) {
                case PeakMemoryProfiler.RSS -> rss = e.getValue().getScore();
                case PeakMemoryProfiler.DEVICE -> device = e.getValue().getScore();
                default -> secondary.put(e.getKey() + " [" + e.getValue().getScoreUnit() + "]",
                        e.getValue().getScore());
            }
        }
        return new BenchmarkResult(params.getBenchmark(), jmhParams, params.getMode().shortLabel(),
                primary.getScore(), primary.getScoreError(), unit,
                Units.opsPerSecond(primary.getScore(), unit), latency, rss, device, secondary);
    }
}
