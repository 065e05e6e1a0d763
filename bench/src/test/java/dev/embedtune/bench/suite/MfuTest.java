package dev.embedtune.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MfuTest {

    @Test
    void flopCountsMatchTheFormulasWorkedByHand() {
        // One sequence of 128 tokens, one layer: linears 128 · 2 · (4 · 384² + 2 · 384 · 1536) = 452,984,832;
        // attention 4 · 128² · 384 = 25,165,824. Six layers, 32 sequences: 91.80 GFLOP.
        assertEquals(32 * 6 * (452_984_832.0 + 25_165_824.0), 32 * Mfu.forward(128), 1);
        // Training step, per sequence and layer: 2 × linears + attention forward and backward (12 · 128² · 384)
        // + LoRA 128 · 6 · 16 · (4 · 768 + 2 · 1920) = 84,934,656; 64 sequences, 6 layers: 409.5 GFLOP.
        double perLayer = 2 * 452_984_832.0 + 3 * 25_165_824.0 + 84_934_656.0;
        assertEquals(64 * 6 * perLayer, Mfu.trainingStep(32, 128), 1);
        assertEquals(409.5e9, Mfu.trainingStep(32, 128), 0.1e9);
    }

    @Test
    void theShareDividesByTheGemmRateOfTheSameRun() {
        // gemmFfn at 25 ms/op = 40 ops/s = 193.3 GFLOP/s; a 4.0 s/op training step (409.5 GFLOP) = 102.4 GFLOP/s = 53 %.
        BenchmarkResult gemm = new BenchmarkResult("dev.embedtune.bench.Nd4jKernelsBenchmark.gemmFfn", Map.of(), "avgt",
                25, 0, "ms/op", 40, Map.of(), 1, Double.NaN, Map.of());
        BenchmarkResult step = new BenchmarkResult("dev.embedtune.bench.TrainingStepBenchmark.training_step_qlora_nf4",
                Map.of("trainPairs", "32", "trainTokens", "128"), "avgt", 4000, 0, "ms/op", 0.25, Map.of(), 1, Double.NaN,
                Map.of());
        List<String[]> rows = Mfu.rows(new ResultFile("full", Map.of(), List.of(gemm, step)));
        assertEquals("193.3", rows.get(0)[2]);
        String[] stepRow = rows.stream().filter(r -> r[0].contains("training_step")).findFirst().orElseThrow();
        assertEquals("102.4", stepRow[2]);
        assertEquals("53 %", stepRow[3]);
    }
}
