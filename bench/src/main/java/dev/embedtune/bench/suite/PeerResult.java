package dev.embedtune.bench.suite;

import java.util.List;
import java.util.Map;

/**
 * A peer measured outside JMH in the same suite run (the PyTorch script, see {@link PythonPeer}), kept
 * beside the JMH benchmarks it is compared with. A peer that could not run is still recorded, as
 * {@link Status#SKIPPED} with a note saying why, so a result file never silently lacks it.
 *
 * <p>Throughput follows the suite's convention: {@link #itemsPerSecond} counts the same item as the
 * JMH benchmarks in {@link #comparesTo} (a text for inference, a training step for training).
 *
 * @param id               the peer's name, e.g. "pytorch_inference"
 * @param comparesTo       the JMH benchmarks (full method names, or ids matched against the method's
 *                         short name) this peer is measured against
 * @param status           measured, skipped (the peer's runtime is absent) or failed (it ran and broke)
 * @param note             why it was skipped or failed, or what was measured
 * @param params           the shape and settings (model, batch, tokens, threads, …), as strings
 * @param iterationSeconds wall time of each measured iteration (empty unless measured)
 * @param medianSeconds    median of {@code iterationSeconds} (NaN unless measured)
 * @param item             the unit of {@code itemsPerSecond}: "text" or "step"
 * @param itemsPerSecond   items per iteration ÷ median seconds (NaN unless measured)
 * @param peakRssMb        peak resident memory of the peer's process (NaN unless measured)
 * @param runtime          what ran it: interpreter, library versions, BLAS, threads, environment
 * @param figures          further figures of the same run (e.g. real tokens/s, a second measurement)
 */
public record PeerResult(String id, List<String> comparesTo, Status status, String note,
        Map<String, String> params, List<Double> iterationSeconds, double medianSeconds, String item,
        double itemsPerSecond, double peakRssMb, Map<String, String> runtime, Map<String, Double> figures) {

    /** Whether the peer produced figures. */
    public enum Status {
        MEASURED, SKIPPED, FAILED;

        public String label() {
            return name().toLowerCase();
        }

        public static Status of(String label) {
            for (Status s : values()) {
                if (s.label().equals(label)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("peer status must be measured, skipped or failed, got " + label);
        }
    }

    public PeerResult {
        comparesTo = List.copyOf(comparesTo);
        params = Map.copyOf(params);
        iterationSeconds = List.copyOf(iterationSeconds);
        runtime = Map.copyOf(runtime);
        figures = Map.copyOf(figures);
    }

    /** A peer without further figures. */
    public PeerResult(String id, List<String> comparesTo, Status status, String note, Map<String, String> params,
            List<Double> iterationSeconds, double medianSeconds, String item, double itemsPerSecond, double peakRssMb,
            Map<String, String> runtime) {
        this(id, comparesTo, status, note, params, iterationSeconds, medianSeconds, item, itemsPerSecond, peakRssMb,
                runtime, Map.of());
    }

    /** The same result with another note. */
    public PeerResult withNote(String newNote) {
        return new PeerResult(id, comparesTo, status, newNote, params, iterationSeconds, medianSeconds, item,
                itemsPerSecond, peakRssMb, runtime, figures);
    }

    /** A peer that did not run, with the reason. */
    public static PeerResult notMeasured(String id, List<String> comparesTo, Status status, String note,
            Map<String, String> params) {
        return new PeerResult(id, comparesTo, status, note, params, List.of(), Double.NaN, "",
                Double.NaN, Double.NaN, Map.of(), Map.of());
    }

    /** The row key of comparison tables: "peer " + id and the parameters, sorted. */
    public String key() {
        return "peer " + id + " " + new java.util.TreeMap<>(params);
    }
}
