package dev.embedtune.bench.suite;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs the JMH suite (every benchmark in {@code dev.embedtune.bench}, or those matching the
 * given patterns) in quick or full mode and turns JMH's results into a {@link ResultFile}.
 */
public final class SuiteRunner {

    /** How long the suite runs. */
    public enum Mode {
        /** A smoke run: one short warm-up and two short measurements, in-process (no fork). */
        QUICK,
        /** The figures for docs/BENCHMARKS.md: forked, 3 warm-ups and 5 measurements of 5 s. */
        FULL
    }

    private SuiteRunner() {
    }

    public static ResultFile run(Mode mode, List<String> includes, int threads) throws RunnerException {
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
            // In-process keeps the smoke run inside two minutes: ND4J and the models load once.
            options.forks(0).warmupIterations(1).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(2).measurementTime(TimeValue.seconds(1));
        } else {
            options.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(5))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(5));
        }
        if (threads > 0) {
            options.threads(threads);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        List<BenchmarkResult> rows = new ArrayList<>();
        for (RunResult r : results) {
            rows.add(toResult(r));
        }
        return new ResultFile(mode.name().toLowerCase(), MachineInfo.detect().toMap(), rows);
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
