package dev.embedtune.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.cli.Main;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.eval.BinaryClassificationEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.TripletEvaluator;
import dev.embedtune.train.report.ReportWriter;
import dev.embedtune.train.report.RunReport;
import dev.embedtune.train.trainer.TinyModelDir;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The two workflows whose evaluators only a data file's roles select: {@code embedtune run} on
 * 0/1-labelled pairs trained with online-contrastive loss reports the binary-classification metrics
 * (accuracy, F1, AP at the best thresholds), base against fine-tuned; on triplets, triplet accuracy.
 * Tiny random BERT ({@link TinyModelDir}, dimension 32), 2 steps each; the report's numbers are
 * checked against the evaluators run directly on the base and the saved merged model (exactly: the
 * same code on the same embeddings), and {@code evaluate --evaluator} gives them too.
 */
class EvaluatorWorkflowsTest {

    @TempDir
    static Path shared;
    static Path model;

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void tinyModel() throws IOException {
        model = TinyModelDir.write(shared.resolve("tiny"), 3);
    }

    /** 24 (query, passage) pairs of 12 groups; groups 0, 4, 8 are the test split. */
    private static List<String[]> pairs() {
        return TinyModelDir.pairs(24);
    }

    private static String split(String group) {
        return Integer.parseInt(group.substring(1)) % 4 == 0 ? "test" : "train";
    }

    private static Path write(String name, List<Map<String, Object>> records) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Map<String, Object> r : records) {
            b.append(JSON.writeValueAsString(r)).append('\n');
        }
        return Files.writeString(shared.resolve(name), b);
    }

    private static String spec(Path data, Path out, String loss) {
        return """
                model: %s
                data: %s
                output_dir: %s
                loss: %s
                matryoshka_dims: [32, 16]
                max_length: 32
                lora_r: 4
                lora_alpha: 8
                max_steps: 2
                per_device_train_batch_size: 8
                batch_sampler: batch_sampler
                learning_rate: 1.0e-2
                logging_steps: 1
                save_steps: 0
                disable_tqdm: true
                """.formatted(model, data, out, loss);
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void labelledPairsTrainWithOnlineContrastiveAndReportBinaryClassification() throws IOException {
        // each query with its own passage (label 1) and with the next group's passage (label 0)
        List<String[]> p = pairs();
        List<Map<String, Object>> records = new java.util.ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            String[] other = p.get((i + 2) % p.size());
            for (Object[] r : new Object[][] {{p.get(i)[1], 1}, {other[1], 0}}) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("anchor", p.get(i)[0]);
                o.put("positive", r[0]);
                o.put("label", r[1]);
                o.put("split", split(p.get(i)[2]));
                records.add(o);
            }
        }
        Path data = write("labelled.jsonl", records);
        Path out = shared.resolve("labelled-run");
        Path file = Files.writeString(shared.resolve("labelled.yaml"), spec(data, out, "online-contrastive"));
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, run(o, e, "run", "--config", file.toString()), o + "\n" + e);
        assertTrue(o.toString().contains("4. mining: skipped, the training examples are pair_label"), o.toString());
        assertTrue(o.toString().contains("7. results, binary-classification"), o.toString());

        RunReport report = ReportWriter.read(out.resolve("report.json"));
        assertEquals("binary-classification", report.evaluator());
        assertEquals(List.of("cosine_accuracy", "cosine_f1", "cosine_ap"), report.tableMetrics());
        MatryoshkaEvaluation direct = new MatryoshkaEvaluation(List.of(32, 16), name -> BinaryClassificationEvaluator.of(
                DatasetLoader.load(data, DatasetLoader.defaultMapping(data), "test"), name));
        assertSameNumbers(report, direct.evaluate(Embedder.load(model, new Embedder.Options(32, 32, null))).metrics(),
                direct.evaluate(Embedder.load(out.resolve("model"), new Embedder.Options(32, 32, null))).metrics());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("## Binary classification on the test split") && md.contains("### Average precision"), md);
        assertTrue(Files.exists(out.resolve("accuracy_per_dim.png")));

        // evaluate --evaluator gives the same numbers for the merged model
        o = new StringWriter();
        e = new StringWriter();
        assertEquals(0, run(o, e, "evaluate", "--model", out.resolve("model").toString(), "--data", data.toString(),
                "--evaluator", "binary-classification", "--dims", "32,16"), e.toString());
        Map<?, ?> printed = JSON.readValue(o.toString(), Map.class);
        assertEquals(report.fineTuned().get("dim_32_cosine_ap"), ((Number) printed.get("dim_32_cosine_ap")).doubleValue(), 1e-6,
                "evaluate embeds with the model's own max length (256) rather than 32; these short texts fit both");
    }

    @Test
    void tripletsReportTripletAccuracy() throws IOException {
        List<String[]> p = pairs();
        List<Map<String, Object>> records = new java.util.ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("anchor", p.get(i)[0]);
            o.put("positive", p.get(i)[1]);
            o.put("negative", p.get((i + 2) % p.size())[1]);
            o.put("split", split(p.get(i)[2]));
            records.add(o);
        }
        Path data = write("triplets.jsonl", records);
        Path out = shared.resolve("triplet-run");
        Path file = Files.writeString(shared.resolve("triplets.yaml"), spec(data, out, "triplet"));
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, run(o, e, "run", "--config", file.toString()), o + "\n" + e);
        RunReport report = ReportWriter.read(out.resolve("report.json"));
        assertEquals("triplet", report.evaluator());
        assertEquals(List.of("cosine_accuracy"), report.tableMetrics());
        MatryoshkaEvaluation direct = new MatryoshkaEvaluation(List.of(32, 16), name -> TripletEvaluator.of(
                DatasetLoader.load(data, DatasetLoader.defaultMapping(data), "test"), name));
        assertSameNumbers(report, direct.evaluate(Embedder.load(model, new Embedder.Options(32, 32, null))).metrics(),
                direct.evaluate(Embedder.load(out.resolve("model"), new Embedder.Options(32, 32, null))).metrics());
    }

    private static void assertSameNumbers(RunReport report, Map<String, Double> base, Map<String, Double> tuned) {
        for (int d : report.dims()) {
            for (String m : report.tableMetrics()) {
                String k = RunReport.key(d, m);
                assertTrue(report.base().containsKey(k), k + " in " + report.base().keySet());
                assertEquals(base.get(k), report.base().get(k), k);
                assertEquals(tuned.get(k), report.fineTuned().get(k), k);
            }
        }
    }
}
