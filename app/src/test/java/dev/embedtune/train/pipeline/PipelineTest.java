package dev.embedtune.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.cli.Main;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.report.ReportWriter;
import dev.embedtune.app.report.RunCharts;
import dev.embedtune.train.report.RunReport;
import dev.embedtune.train.trainer.TinyModelDir;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The pipeline end to end on a tiny random BERT ({@link TinyModelDir}: hidden 32, 2 layers, MiniLM's
 * tokenizer) and 24 toy pairs, NF4 QLoRA for 4 steps with evaluation every 2: every output exists and
 * the report's numbers are those of evaluating the base and the saved merged model directly.
 */
class PipelineTest {

    @TempDir
    static Path shared;
    static Path model;
    static Path data;

    @TempDir
    Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Integer> DIMS = List.of(32, 16);
    private static final Pipeline.Options CHARTS = Pipeline.Options.defaults().withCharts(RunCharts::draw);

    @BeforeAll
    static void writeModelAndData() throws IOException {
        model = TinyModelDir.write(shared.resolve("tiny"), 1);
        // 24 pairs in 12 groups of 2; groups 0, 4 and 8 are the test split (6 queries), the rest train (18 pairs)
        StringBuilder jsonl = new StringBuilder();
        List<String[]> pairs = TinyModelDir.pairs(24);
        for (int i = 0; i < pairs.size(); i++) {
            String[] p = pairs.get(i);
            boolean test = (i / 2) % 4 == 0;
            jsonl.append(JSON.writeValueAsString(Map.of("id", "r" + i, "query", p[0], "passage", p[1], "group", p[2],
                    "split", test ? "test" : "train"))).append('\n');
        }
        data = Files.writeString(shared.resolve("pairs.jsonl"), jsonl);
    }

    private static String config(Path out) {
        return """
                model: %s
                data: %s
                output_dir: %s
                dims: [32, 16]
                max_length: 32
                quantization: nf4
                lora_r: 4
                lora_alpha: 8
                training:
                  max_steps: 4
                  per_device_train_batch_size: 6
                  learning_rate: 1.0e-2
                  logging_steps: 1
                  eval_steps: 2
                  save_steps: 2
                  disable_tqdm: true
                """.formatted(model, data, out);
    }

    /** The config above keeps the old keys dims and training:, which still read (with warnings). */
    private RunSpec read(Path out) throws IOException {
        return dev.embedtune.cli.SettingsFile.readSpec(Files.writeString(tmp.resolve("run.yaml"), config(out)),
                RunSpec.defaults(RunSpec.DEFAULT_OUTPUT), w -> { });
    }

    @Test
    void runsEndToEndAndReportsTheNumbersOfTheSavedModels() throws IOException {
        Path out = tmp.resolve("run");
        StringWriter log = new StringWriter();
        Pipeline.Result r = Pipeline.run(read(out), CHARTS, new PrintWriter(log, true));

        // every output is there
        for (String name : List.of("report.md", "report.json", RunCharts.NDCG_FILE, RunCharts.CURVES_FILE, "metrics.jsonl",
                "adapter/adapter_config.json", "adapter/adapter_model.safetensors", "model/modules.json", "model/config.json",
                "model/model.safetensors", "model/tokenizer.json", "final", "checkpoint-4")) {
            assertTrue(Files.exists(out.resolve(name)), name + " in " + out);
        }
        for (String png : List.of(RunCharts.NDCG_FILE, RunCharts.CURVES_FILE)) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertEquals(RunCharts.WIDTH, image.getWidth(), png);
            assertEquals(RunCharts.HEIGHT, image.getHeight(), png);
        }

        // report.json: base and fine-tuned at every dim, equal to evaluating the models directly
        RunReport report = ReportWriter.read(out.resolve("report.json"));
        assertEquals(r.report(), report);
        assertEquals(DIMS, report.dims());
        RetrievalTask task = RetrievalTask.fromJsonl(data, "test");
        assertEquals(6, task.queries().size());
        MatryoshkaEvaluation evaluation = new MatryoshkaEvaluation(DIMS,
                name -> InformationRetrievalEvaluator.of(task, InformationRetrievalEvaluator.Options.defaults().withName(name)));
        Embedder base = Embedder.load(model, new Embedder.Options(32, 32, null));
        Embedder tuned = Embedder.load(out.resolve("model"), new Embedder.Options(32, 32, null));   // the merged model loads
        assertEquals(32, tuned.dimension());
        Map<String, Double> baseMetrics = evaluation.evaluate(base).metrics();
        Map<String, Double> tunedMetrics = evaluation.evaluate(tuned).metrics();
        for (int d : DIMS) {
            for (String m : RunReport.RETRIEVAL_METRICS) {
                String k = RunReport.key(d, m);
                assertEquals(baseMetrics.get(k), report.base().get(k), k);
                assertEquals(tunedMetrics.get(k), report.fineTuned().get(k), k);
            }
        }
        // training changed the model
        float[] before = base.encode(List.of("kludge"))[0];
        float[] after = tuned.encode(List.of("kludge"))[0];
        double moved = 0;
        for (int i = 0; i < before.length; i++) {
            moved = Math.max(moved, Math.abs(before[i] - after[i]));
        }
        assertTrue(moved > 1e-4, "the merged model embeds like the base (max |Δ| " + moved + ")");

        // training summary: 4 steps of triplets, one mined negative each
        RunReport.Training t = report.training();
        assertEquals(4, t.steps());
        assertTrue(t.trainExamples() > 0 && t.trainExamples() <= 18, "examples " + t.trainExamples());
        assertEquals(t.trainExamples(), t.negativesMined());
        assertTrue(Double.isFinite(t.trainLoss()) && t.finalLoss() != null);
        assertTrue(report.timings().keySet().containsAll(List.of("import", "data", "base_evaluation", "mining", "training",
                "fine_tuned_evaluation", "total")), report.timings().toString());
        assertEquals("nf4", report.settings().get("quantization"));

        // metrics.jsonl: a training line per step, an evaluation every 2 steps, the summary
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            lines.add(JSON.readTree(l));
        }
        List<JsonNode> training = lines.stream().filter(n -> n.has("loss")).toList();
        assertEquals(4, training.size());
        for (JsonNode n : training) {
            for (String k : List.of("step", "epoch", "loss", "learning_rate", "grad_norm")) {
                assertTrue(n.has(k), k + " in " + n);
            }
        }
        List<JsonNode> evals = lines.stream().filter(n -> n.has("eval_dim_32_cosine_ndcg@10")).toList();
        assertEquals(List.of(2, 4), evals.stream().map(n -> n.get("step").intValue()).toList());
        assertTrue(lines.get(lines.size() - 1).has("train_runtime"));

        // report.md shows the report's numbers; the printed table and paths
        String md = Files.readString(out.resolve("report.md"));
        double b = report.base(32, "cosine_ndcg@10");
        double f = report.fineTuned(32, "cosine_ndcg@10");
        assertTrue(md.contains(String.format(Locale.ROOT, "| 32 | %.4f | %.4f | %+.4f |", b, f, f - b)), md);
        String printed = log.toString();
        assertTrue(printed.contains(String.format(Locale.ROOT, "%.4f → %.4f (%+.4f)", b, f, f - b)), printed);
        assertTrue(printed.contains(out.resolve("report.md").toString()) && printed.contains(out.resolve("model").toString()),
                printed);

        // the same directory again: refused without a flag; resuming from the last checkpoint trains no
        // further step and reproduces the fine-tuned model's numbers exactly
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> Pipeline.run(read(out), CHARTS, new PrintWriter(new StringWriter())));
        assertTrue(refused.getMessage().contains("is not empty") && refused.getMessage().contains("--overwrite"),
                refused.getMessage());
        Pipeline.Result resumed = Pipeline.run(read(out).withOverrides(new ObjectMapper().createObjectNode().put("resume_from_checkpoint", "latest"), "test", w -> { }), CHARTS, new PrintWriter(new StringWriter()));
        assertEquals(4, resumed.report().training().steps());
        assertEquals(report.fineTuned(), resumed.report().fineTuned());
    }

    /** {@code embedtune run --config}: refusal and --overwrite through the command line. */
    @Test
    void runCommandOverwritesOnlyWhenAsked() throws IOException {
        Path out = tmp.resolve("cli");
        Files.createDirectories(out);
        Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":9.0}\n");   // an earlier run's
        Path file = Files.writeString(tmp.resolve("cli.yaml"), config(out).replace("max_steps: 4", "max_steps: 2"));

        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(1, run(o, e, "run", "--config", file.toString()));
        assertTrue(e.toString().contains("embedtune run: output directory " + out + " is not empty"), e.toString());
        assertTrue(e.toString().contains("warning: " + file + ": 'dims' is deprecated; use 'matryoshka_dims'"), e.toString());

        o = new StringWriter();
        e = new StringWriter();
        assertEquals(0, run(o, e, "run", "--config", file.toString(), "--overwrite"), e.toString());
        assertTrue(o.toString().contains("7. results") && o.toString().contains("report.md"), o.toString());
        assertFalse(Files.readString(out.resolve("metrics.jsonl")).contains("9.0"));
        assertEquals(2, ReportWriter.read(out.resolve("report.json")).training().steps());

        o = new StringWriter();
        e = new StringWriter();
        Path bad = Files.writeString(tmp.resolve("bad.yaml"), "learning_rat: 1\n");
        assertEquals(1, run(o, e, "run", "--config", bad.toString()));
        assertTrue(e.toString().contains(bad + ": unknown key 'learning_rat'"), e.toString());
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
