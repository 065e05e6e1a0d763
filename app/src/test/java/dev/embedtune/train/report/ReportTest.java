package dev.embedtune.train.report;

import dev.embedtune.app.report.RunCharts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    @TempDir
    Path tmp;

    /** Values that are exact in binary, so the deltas below are worked out by hand without rounding doubt. */
    private static Map<String, Double> metrics(double ndcg384, double mrr384, double recall384, double map384, double ndcg64) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("dim_384_cosine_accuracy@1", 0.5);
        m.put("dim_384_cosine_recall@10", recall384);
        m.put("dim_384_cosine_ndcg@10", ndcg384);
        m.put("dim_384_cosine_mrr@10", mrr384);
        m.put("dim_384_cosine_map@100", map384);
        m.put("dim_64_cosine_recall@10", 0.5);
        m.put("dim_64_cosine_ndcg@10", ndcg64);
        m.put("dim_64_cosine_mrr@10", 0.25);
        m.put("dim_64_cosine_map@100", 0.25);
        m.put("sequential_score", (ndcg384 + ndcg64) / 2);
        return m;
    }

    static RunReport report() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("quantization", "nf4");
        settings.put("lora_r", 16);
        settings.put("learning_rate", 2e-4);
        settings.put("seed", 42L);   // a long: read back as an Integer, which the record normalises to
        settings.put("dims", List.of(384, 64));
        settings.put("mining", Map.of("scorer", "bm25", "num_negatives", 1));
        Map<String, Double> timings = new LinkedHashMap<>();
        timings.put("import", 1.25);
        timings.put("mining", 2.5);
        timings.put("training", 100.0);
        return new RunReport("builtin:all-minilm-l6-v2", "jargon.jsonl", settings, "retrieval", RunReport.RETRIEVAL_METRICS, List.of(384, 64),
                metrics(0.5, 0.25, 0.75, 0.125, 0.375),
                metrics(0.5625, 0.375, 0.625, 0.1875, 0.5),
                timings, new RunReport.Training(55, 1.0, 1749, 1749, 0.875, 0.5, 99.5));
    }

    @Test
    void reportJsonRoundTripsAndUsesSnakeCaseKeys() throws IOException {
        RunReport r = report();
        ReportWriter.Files files = ReportWriter.write(r, tmp);
        assertEquals(r, ReportWriter.read(files.json()));
        String json = Files.readString(files.json());
        assertTrue(json.contains("\"fine_tuned\""), json);
        assertTrue(json.contains("\"dim_384_cosine_ndcg@10\" : 0.5625"), json);
        assertTrue(json.contains("\"negatives_mined\" : 1749"), json);
        assertTrue(json.contains("\"timings_seconds\""), json);
        // no temporary files left behind by the atomic writes
        try (var list = Files.list(tmp)) {
            assertEquals(List.of("report.json", "report.md"), list.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void markdownHasTheTablesWithHandComputedDeltas() throws IOException {
        String md = Files.readString(ReportWriter.write(report(), tmp).markdown());
        // NDCG@10: 0.5 -> 0.5625 is +0.0625, +12.5 %; at 64: 0.375 -> 0.5 is +0.125, +33.3 %
        String ndcg = section(md, "### NDCG@10", "### MRR@10");
        assertTrue(ndcg.contains("| 384 | 0.5000 | 0.5625 | +0.0625 | +12.5% |"), ndcg);
        assertTrue(ndcg.contains("| 64 | 0.3750 | 0.5000 | +0.1250 | +33.3% |"), ndcg);
        // MRR@10: 0.25 -> 0.375 is +0.125, +50 %; at 64 unchanged
        String mrr = section(md, "### MRR@10", "### Recall@10");
        assertTrue(mrr.contains("| 384 | 0.2500 | 0.3750 | +0.1250 | +50.0% |"), mrr);
        assertTrue(mrr.contains("| 64 | 0.2500 | 0.2500 | +0.0000 | +0.0% |"), mrr);
        // Recall@10 got worse: 0.75 -> 0.625 is -0.125, -16.7 %
        String recall = section(md, "### Recall@10", "### MAP@100");
        assertTrue(recall.contains("| 384 | 0.7500 | 0.6250 | -0.1250 | -16.7% |"), recall);
        String map = section(md, "### MAP@100", "## Training");
        assertTrue(map.contains("| 384 | 0.1250 | 0.1875 | +0.0625 | +50.0% |"), map);
        // the summary line, training, timings and settings
        assertTrue(md.contains("| NDCG@10 at dim 384 | 0.5000 → 0.5625 (+0.0625) |"), md);
        assertTrue(md.contains("| optimizer steps | 55 |"), md);
        assertTrue(md.contains("| hard negatives mined | 1,749 |"), md);
        assertTrue(md.contains("| last logged loss | 0.5000 |"), md);
        assertTrue(md.contains("| mining | 2.5 |"), md);
        assertTrue(md.contains("| lora_r | `16` |"), md);
        assertTrue(md.contains("| dims | `[384,64]` |"), md);
        assertTrue(md.contains("| mining.scorer | `bm25` |"), md);   // objects flattened to dotted keys
        assertTrue(md.contains("| training | 55 steps (1.00 epochs) on 1,749 examples (1,749 mined hard negatives), 99.5 s |"), md);
        assertTrue(md.contains("ran on the nf4 base"), md);
        // no chart was rendered into tmp, so no chart is linked
        assertTrue(!md.contains("## Charts"), md);
    }

    @Test
    void chartsDecodeAtTheirSizeAndAreLinkedFromTheMarkdown() throws IOException {
        Path log = tmp.resolve("metrics.jsonl");
        Files.writeString(log, """
                {"step":1,"epoch":0.1,"loss":2.5,"learning_rate":1.0E-4,"grad_norm":3.0}
                {"step":2,"epoch":0.2,"loss":2.0,"learning_rate":2.0E-4,"grad_norm":2.5}
                {"step":2,"epoch":0.2,"eval_dim_384_cosine_ndcg@10":0.5,"eval_dim_64_cosine_ndcg@10":0.4}
                {"step":3,"epoch":0.3,"loss":null,"learning_rate":1.5E-4,"grad_norm":2.0}
                {"step":4,"epoch":0.4,"loss":1.25,"learning_rate":1.0E-4,"grad_norm":1.0}
                {"step":4,"epoch":0.4,"eval_dim_384_cosine_ndcg@10":0.5625,"eval_dim_64_cosine_ndcg@10":0.45}
                {"step":4,"epoch":0.4,"train_runtime":12.5,"train_steps_per_second":0.32,"train_loss":1.875}
                """);
        TrainingHistory h = TrainingHistory.read(log);
        assertEquals(List.of(new TrainingHistory.Point(1, 2.5), new TrainingHistory.Point(2, 2.0), new TrainingHistory.Point(4, 1.25)),
                h.loss());   // the null loss (non-finite) is left out
        assertEquals(List.of(new TrainingHistory.Point(2, 0.5), new TrainingHistory.Point(4, 0.5625)),
                h.eval().get("eval_dim_384_cosine_ndcg@10"));
        assertEquals(1.25, h.finalLoss());
        assertEquals(12.5, h.trainRuntime());
        assertEquals(1.875, h.trainLoss());

        RunReport r = report();
        Path bars = RunCharts.ndcgPerDim(r, tmp);
        Path curves = RunCharts.trainingCurves(h, "dim_384_cosine_ndcg@10", tmp);
        for (Path png : List.of(bars, curves)) {
            BufferedImage image = ImageIO.read(png.toFile());
            assertNotNull(image, png + " decodes");
            assertEquals(RunCharts.WIDTH, image.getWidth());
            assertEquals(RunCharts.HEIGHT, image.getHeight());
        }
        assertEquals(RunCharts.NDCG_FILE, bars.getFileName().toString());
        assertEquals(RunCharts.CURVES_FILE, curves.getFileName().toString());

        String md = Files.readString(ReportWriter.write(r, tmp, List.of(new ReportWriter.Chart(bars, "NDCG@10 per dimension"),
                new ReportWriter.Chart(curves, "Training curves"))).markdown());
        assertTrue(md.contains("](ndcg_per_dim.png)"), md);
        assertTrue(md.contains("](training_curves.png)"), md);

        // an evaluation metric the run never logged is an error naming what it has
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunCharts.trainingCurves(h, "eval_dim_128_cosine_ndcg@10", tmp));
        assertTrue(e.getMessage().contains("eval_dim_128_cosine_ndcg@10") && e.getMessage().contains("eval_dim_64_cosine_ndcg@10"),
                e.getMessage());
    }

    @Test
    void lossOnlyHistoryDrawsOnePlot() throws IOException {
        Path log = tmp.resolve("metrics.jsonl");
        Files.writeString(log, "{\"step\":1,\"epoch\":0.5,\"loss\":1.0}\n{\"step\":2,\"epoch\":1.0,\"loss\":0.5}\n");
        TrainingHistory h = TrainingHistory.read(log);
        assertTrue(h.eval().isEmpty());
        assertNull(h.trainRuntime());
        BufferedImage image = ImageIO.read(RunCharts.trainingCurves(h, "unused", tmp).toFile());
        assertEquals(RunCharts.WIDTH, image.getWidth());
    }

    @Test
    void aReportMissingAMetricAtADimIsRefusedNamingTheKey() {
        RunReport r = report();
        Map<String, Double> partial = new LinkedHashMap<>(r.fineTuned());
        partial.remove("dim_64_cosine_map@100");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RunReport(r.model(), r.dataset(),
                r.settings(), r.evaluator(), r.tableMetrics(), r.dims(), r.base(), partial, r.timings(), r.training()));
        assertTrue(e.getMessage().contains("fine-tuned metrics lack dim_64_cosine_map@100"), e.getMessage());
    }

    @Test
    void aBadMetricsLineNamesFileAndLine() throws IOException {
        Path log = tmp.resolve("metrics.jsonl");
        Files.writeString(log, "{\"step\":1,\"loss\":1.0}\n{\"loss\":2.0}\n");
        IOException e = assertThrows(IOException.class, () -> TrainingHistory.read(log));
        assertTrue(e.getMessage().contains(log + ":2:"), e.getMessage());
    }

    private static String section(String md, String from, String to) {
        return md.substring(md.indexOf(from), md.indexOf(to));
    }
}
