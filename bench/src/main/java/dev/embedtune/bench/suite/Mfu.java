package dev.embedtune.bench.suite;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The share of the BLAS ceiling (model FLOP utilisation): a benchmark's FLOPs per item × items/s,
 * divided by the sgemm rate measured in the same run ({@code Nd4jKernelsBenchmark.gemmFfn},
 * 4096×384·384×1536, the step's largest GEMM; and, for the peers, torch's own rate from
 * {@code st_env_gemm}). FLOPs count the model's arithmetic, not an implementation's: all-MiniLM-L6-v2
 * (L 6 layers, H 384, FFN I 1536), a sequence of T tokens, multiply-add = 2 FLOP:
 * <ul>
 *   <li>forward, per sequence: L·(T·2·(4H² + 2HI) + 4T²H) — the six linears of a layer, then Q·Kᵀ
 *       and P·V over all heads (the per-head sizes add up to H);</li>
 *   <li>a LoRA training step of B anchors + B positives over a frozen base: per pass the forward, the
 *       input gradients of the linears (again T·2·(4H² + 2HI) per layer; no weight gradients) and
 *       attention's backward (8T²H: dP, dV, dQ, dK), plus LoRA's own products at rank r, 6·r·Σ(in + out)
 *       per token and layer (forward x·Aᵀ, (xA)·Bᵀ; backward dB, d(xA), dA, dx) with Σ(in + out) = 4·2H + 2(H + I).</li>
 * </ul>
 * At 32 × 128: forward 91.8 GFLOP (87.0 of linears, 4.8 of attention); training step 409.5 GFLOP.
 * Embeddings, LayerNorm, GELU, softmax, pooling and the loss are left out (memory-bound, under 1 %).
 */
final class Mfu {
    static final int LAYERS = 6, HIDDEN = 384, FFN = 1536, RANK = 16;
    static final String GEMM_ROW = "Nd4jKernelsBenchmark.gemmFfn";
    static final double GEMM_FLOP = 2.0 * 4096 * 384 * 1536;

    private Mfu() {
    }

    /** Forward FLOPs of one sequence of {@code t} tokens. */
    static double forward(int t) {
        return LAYERS * (t * 2.0 * (4.0 * HIDDEN * HIDDEN + 2.0 * HIDDEN * FFN) + 4.0 * t * t * HIDDEN);
    }

    /** FLOPs of one LoRA training step of {@code pairs} anchors + as many positives × {@code t} tokens. */
    static double trainingStep(int pairs, int t) {
        double linears = t * 2.0 * (4.0 * HIDDEN * HIDDEN + 2.0 * HIDDEN * FFN);
        double attentionForward = 4.0 * t * t * HIDDEN, attentionBackward = 8.0 * t * t * HIDDEN;
        double lora = t * 6.0 * RANK * (4 * 2.0 * HIDDEN + 2.0 * (HIDDEN + FFN));
        return 2.0 * pairs * LAYERS * (2 * linears + attentionForward + attentionBackward + lora);
    }

    /** FLOPs per item of a benchmark or peer row, or NaN when it has no fixed count. */
    static double flopsPerItem(String name, Map<String, String> params) {
        if (name.contains("training_step") && !name.contains("jargon")) {
            int pairs = Integer.parseInt(params.getOrDefault("trainPairs", params.getOrDefault("batch", "32")));
            int t = Integer.parseInt(params.getOrDefault("trainTokens", params.getOrDefault("tokens", "128")));
            return trainingStep(pairs, t);
        }
        if (name.contains("Batch32") || name.contains("callingThreads") || name.contains("batch32")) {
            return forward(Integer.parseInt(params.getOrDefault("tokens", "128")));
        }
        return Double.NaN;
    }

    /** Rows of "name | items/s | GFLOP/s | ÷ ND4J sgemm | ÷ torch sgemm" for a result file. */
    static List<String[]> rows(ResultFile result) {
        double ceiling = result.benchmarks().stream().filter(b -> b.name().endsWith("." + GEMM_ROW))
                .mapToDouble(b -> b.itemsPerSecond() * GEMM_FLOP / 1e9).findFirst().orElse(Double.NaN);
        double torch = result.peers().stream().filter(p -> p.id().equals("st_env_gemm"))
                .mapToDouble(p -> p.figures().getOrDefault("gflops 4096x384 . 384x1536", Double.NaN)).findFirst()
                .orElse(Double.NaN);
        List<String[]> out = new ArrayList<>();
        out.add(new String[] {"sgemm ceiling (" + GEMM_ROW + ", same run)", "", fmt(ceiling), "1", ""});
        if (Double.isFinite(torch)) {
            out.add(new String[] {"torch sgemm (st_env_gemm, same run)", "", fmt(torch), "", "1"});
        }
        for (BenchmarkResult b : result.benchmarks()) {
            double f = flopsPerItem(b.name(), b.params());
            if (Double.isFinite(f)) {
                double achieved = f * b.itemsPerSecond() / 1e9;
                out.add(new String[] {b.key(), items(b.itemsPerSecond()), fmt(achieved), pct(achieved / ceiling), ""});
            }
        }
        for (PeerResult p : result.peers()) {
            if (p.status() != PeerResult.Status.MEASURED || p.id().startsWith("st_trainer")) {
                continue;
            }
            double f = flopsPerItem(p.id().contains("train_step") ? "training_step" : p.id(), p.params());
            if (Double.isFinite(f)) {
                double achieved = f * p.itemsPerSecond() / 1e9;
                out.add(new String[] {p.key(), items(p.itemsPerSecond()), fmt(achieved), pct(achieved / ceiling),
                        pct(achieved / torch)});
            }
        }
        return out;
    }

    static String markdown(ResultFile result) {
        StringBuilder md = new StringBuilder("\n| share of the BLAS ceiling | items/s | GFLOP/s | ÷ ND4J sgemm | ÷ torch sgemm |\n|---|---:|---:|---:|---:|\n");
        for (String[] r : rows(result)) {
            md.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return md.toString();
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format("%.1f", v) : "–";
    }

    private static String items(double v) {
        return Double.isFinite(v) ? String.format("%.4g", v) : "–";
    }

    private static String pct(double v) {
        return Double.isFinite(v) ? String.format("%.0f %%", 100 * v) : "–";
    }
}
