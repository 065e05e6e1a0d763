package dev.embedtune.bench.suite;

import java.util.Map;

/**
 * One benchmark's figures in a result file.
 *
 * <p>Throughput convention: every benchmark of the suite declares its unit of work with
 * {@code @OperationsPerInvocation} (a text, a batch, a training step), so one JMH "op" is one item
 * and {@link #itemsPerSecond} is JMH's score converted to per-second whatever mode it ran in.
 *
 * @param name            fully qualified benchmark method
 * @param params          JMH parameters of this run (empty map when none)
 * @param mode            JMH mode ("thrpt", "avgt", "sample", …)
 * @param score           JMH's primary score in {@code unit}
 * @param scoreError      JMH's 99.9 % error half-width in {@code unit} (NaN when too few samples)
 * @param unit            JMH's score unit, e.g. "ops/s" or "ms/op"
 * @param itemsPerSecond  the score as items per second
 * @param latencyMs       p50, p90, p99 and max of the per-op time in milliseconds, from the
 *                        measured samples (sample mode) or iterations (other modes)
 * @param peakRssMb       peak resident memory of the benchmark's JVM (NaN when unknown)
 * @param deviceUsedMb    CUDA device memory in use (NaN on CPU)
 * @param secondary       JMH's secondary results (e.g. auxiliary counters such as tokens/s)
 */
public record BenchmarkResult(String name, Map<String, String> params, String mode, double score,
        double scoreError, String unit, double itemsPerSecond, Map<String, Double> latencyMs,
        double peakRssMb, double deviceUsedMb, Map<String, Double> secondary) {

    /** The row key of comparison tables: the method's short name and its parameters. */
    public String key() {
        String shortName = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
        return params.isEmpty() ? shortName : shortName + " " + params;
    }
}
