package dev.embedtune.app.hpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyReportTest {

    @TempDir
    Path tmp;

    /** The toy score, shifted by the categorical choices so every kind of axis has a spread. */
    private static final Objective FULL = (settings, budget, reporter) -> {
        double shift = (settings.loss().startsWith("Cached") ? 0.1 : 0) + (settings.matryoshkaDims().size() > 1 ? 0.05 : 0)
                - settings.batchSize() / 1000.0;
        Objective toy = ToyObjectives.TOY;
        TrialOutcome o = toy.run(settings, budget, (resource, result) -> reporter.report(resource,
                new ToyObjectives.Score(result.metrics().get("toy_score") + shift)));
        return o.status() == TrialStatus.COMPLETE
                ? TrialOutcome.complete(new ToyObjectives.Score(o.result().metrics().get("toy_score") + shift)) : o;
    };

    @Test
    void writesTheBestTrialATableAndOneChartPerSearchedHyperparameter() throws IOException {
        Study study = Study.create(tmp.resolve("study"), ToyObjectives.spec(tmp, ToyObjectives.FULL_SPACE), ToyObjectives.quiet());
        study.optimize(FULL, 40);
        StudyReport.Files files = StudyReport.write(study);
        List<TrialRecord> records = study.trials();

        // report.json: the best is the best of the recorded COMPLETE scores.
        JsonNode json = SearchSpace.JSON.readTree(files.json().toFile());
        double max = records.stream().filter(r -> r.status() == TrialStatus.COMPLETE).mapToDouble(TrialRecord::score).max().orElseThrow();
        assertEquals(max, json.get("best").get("score").doubleValue(), 0.0);
        TrialRecord best = records.get(json.get("best").get("id").intValue());
        assertEquals(max, best.score(), 0.0);
        assertEquals(best.settings().toJson(), json.get("best").get("settings"));
        assertEquals(records.size(), json.get("trials").size());
        long complete = records.stream().filter(r -> r.status() == TrialStatus.COMPLETE).count();
        long pruned = records.stream().filter(r -> r.status() == TrialStatus.PRUNED).count();
        assertEquals(complete, json.get("counts").get("complete").intValue());
        assertEquals(pruned, json.get("counts").get("pruned").intValue());
        // Sorted: COMPLETE by score, best first, then PRUNED.
        List<Double> completeScores = new ArrayList<>();
        for (int i = 0; i < complete; i++) {
            assertEquals("COMPLETE", json.get("trials").get(i).get("status").textValue());
            completeScores.add(json.get("trials").get(i).get("score").doubleValue());
        }
        List<Double> descending = new ArrayList<>(completeScores);
        descending.sort((x, y) -> Double.compare(y, x));
        assertEquals(descending, completeScores);
        assertEquals("PRUNED", json.get("trials").get((int) complete).get("status").textValue());

        // report.md: the best trial's line and one table row per trial.
        String md = Files.readString(files.markdown());
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "Trial %d: **toy_score = %.6g**", best.id(), best.score())), md);
        String table = md.substring(md.indexOf("## All trials"), md.indexOf("## Charts"));
        long rows = table.lines().filter(l -> l.matches("\\| \\d+.*")).count();
        assertEquals(records.size(), rows);

        // Charts: history plus every searched, untied dimension; epochs (constant) and alpha (tied) are not plotted.
        assertEquals(List.of("learning_rate", "lora_rank", "batch_size", "loss", "matryoshka_dims", "base_model"),
                List.copyOf(files.slices().keySet()));
        assertTrue(md.contains("Not plotted: lora_alpha (2.0 × lora_rank), epochs (constant)."), md);
        List<Path> pngs = new ArrayList<>(files.slices().values());
        pngs.add(files.history());
        for (Path png : pngs) {
            BufferedImage image = ImageIO.read(png.toFile());
            assertNotNull(image, png + " decodes as an image");
            assertEquals(ReportCharts.WIDTH, image.getWidth(), png.toString());
            assertEquals(ReportCharts.HEIGHT, image.getHeight(), png.toString());
            assertTrue(hasColour(image, 214, 39, 40), png + " draws the best trial (or best-so-far line) in red");
            assertTrue(hasColour(image, 31, 119, 180), png + " draws the complete trials in blue");
            assertTrue(hasColour(image, 190, 190, 190), png + " draws the pruned trials in grey");
        }
        Map<String, Path> none = Map.of();
        assertEquals(none, stray(study.reportDirectory()));
    }

    private static Map<String, Path> stray(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(".")).collect(java.util.stream.Collectors.toMap(f -> f.getFileName().toString(), f -> f));
        }
    }

    private static boolean hasColour(BufferedImage image, int r, int g, int b) {
        int rgb = (r << 16) | (g << 8) | b;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void aStudyWithoutCompleteTrialsStillReports() throws IOException {
        Study study = Study.create(tmp.resolve("study"), ToyObjectives.spec(tmp, ToyObjectives.TOY_SPACE), ToyObjectives.quiet());
        study.optimize((settings, budget, reporter) -> TrialOutcome.failed("diverged"), 3);
        StudyReport.Files files = StudyReport.write(study);
        JsonNode json = SearchSpace.JSON.readTree(files.json().toFile());
        assertTrue(json.get("best").isNull());
        assertEquals(3, json.get("counts").get("failed").intValue());
        assertTrue(Files.readString(files.markdown()).contains("No trial has completed yet."));
        assertEquals(ReportCharts.WIDTH, ImageIO.read(files.history().toFile()).getWidth());
    }
}
