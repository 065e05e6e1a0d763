package dev.embedtune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.cli.RunCommand;
import dev.embedtune.cli.SettingsFile;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.train.pipeline.PipelineData;
import dev.embedtune.train.pipeline.RunSpec;
import dev.embedtune.train.report.ReportWriter;
import dev.embedtune.train.report.RunReport;
import dev.embedtune.train.trainer.TinyModelDir;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code run} on Spark (local[2], 2 partitions) against {@code embedtune run} on the same run
 * specification: the whole pipeline (base evaluation, dense mining, QLoRA with Matryoshka MNRL, the
 * fine-tuned evaluation, the report) on the toy BERT model, 64 pairs. Expected: the base evaluation's
 * metrics identical (the executors embed the local Embedder's batches, so the same bits); the same mined
 * training set (triplet count and negatives); step losses within 1e-6 relative and the merged models'
 * embeddings within 1e-5 absolute (the distributed step sums the tasks' gradients in another order,
 * DistributedTrainingTest); and the Spark run's fine-tuned metrics identical to the local evaluator's
 * on the Spark run's own merged model (the evaluation itself is exact).
 */
class SparkPipelineTest {

    @TempDir
    Path dir;

    private String config(Path model, Path data, Path out) {
        return """
                model: %s
                data: %s
                output_dir: %s
                matryoshka_dims: [32, 16]
                max_length: 32
                quantization: nf4
                lora_r: 4
                lora_alpha: 8
                lora_dropout: 0.1
                mining:
                  scorer: dense
                  num_negatives: 1
                max_steps: 3
                per_device_train_batch_size: 16
                learning_rate: 1.0e-2
                warmup_steps: 1
                logging_steps: 1
                save_steps: 3
                disable_tqdm: true
                """.formatted(model, data, out);
    }

    @Test
    void runOnSparkEqualsTheLocalRun() throws IOException {
        Path model = TinyModelDir.write(dir.resolve("model"), 3);
        Path data = TestData.pairsFile(dir.resolve("pairs.jsonl"), 64);
        Path localOut = dir.resolve("local"), sparkOut = dir.resolve("spark");
        Path localConfig = Files.writeString(dir.resolve("local.yaml"), config(model, data, localOut));
        Path sparkConfig = Files.writeString(dir.resolve("spark.yaml"), config(model, data, sparkOut));

        assertEquals(0, execute(new RunCommand(), "--config", localConfig.toString()), "local run");
        SparkTestSession.get();   // SparkMain without --master takes the running session, as under spark-submit
        int loads = ExecutorModels.loads();
        assertEquals(0, execute(new SparkMain(), "run", "--config", sparkConfig.toString(), "--partitions", "2"), "spark run");
        // the executors loaded the base model's embedder, the training model and the merged model's embedder
        assertEquals(loads + 3, ExecutorModels.loads(), "models loaded on the executors");

        RunReport local = ReportWriter.read(localOut.resolve("report.json"));
        RunReport spark = ReportWriter.read(sparkOut.resolve("report.json"));
        assertEquals(local.base(), spark.base(), "base evaluation");
        assertEquals(local.training().trainExamples(), spark.training().trainExamples(), "mined training rows");
        assertEquals(local.training().negativesMined(), spark.training().negativesMined(), "mined negatives");
        assertTrue(spark.training().negativesMined() > 0, "mining found negatives");
        assertEquals(3, spark.training().steps());

        List<Double> localLosses = losses(localOut), sparkLosses = losses(sparkOut);
        assertEquals(3, localLosses.size());
        for (int i = 0; i < localLosses.size(); i++) {
            assertEquals(localLosses.get(i), sparkLosses.get(i), 1e-6 * Math.abs(localLosses.get(i)), "loss of step " + (i + 1));
        }

        List<String> texts = TinyModelDir.pairs(8).stream().map(p -> p[1]).toList();
        float[][] a = Embedder.load(localOut.resolve("model")).encode(texts);
        float[][] b = Embedder.load(sparkOut.resolve("model")).encode(texts);
        float[][] base = Embedder.load(model).encode(texts);
        double diff = 0, moved = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                diff = Math.max(diff, Math.abs(a[i][j] - b[i][j]));
                moved = Math.max(moved, Math.abs(a[i][j] - base[i][j]));
            }
        }
        assertTrue(diff <= 1e-5, "merged models' embeddings differ by " + diff);
        assertTrue(moved > 1e-3, "training moved the model: " + moved);

        RunSpec spec = SettingsFile.readSpec(sparkConfig, RunSpec.defaults(RunSpec.DEFAULT_OUTPUT), w -> { });
        Map<String, Double> direct = PipelineData.load(spec).evaluator()
                .evaluate(Embedder.load(sparkOut.resolve("model"), new Embedder.Options(32, 32, null))).metrics();
        for (Map.Entry<String, Double> e : spark.fineTuned().entrySet()) {
            assertEquals(direct.get(e.getKey()), e.getValue(), e.getKey());
        }
    }

    /**
     * {@code finetune} on Spark against {@code embedtune finetune} with the same options (gradient
     * checkpointing on, which the executors must apply too): step losses within 1e-6 relative, the
     * merged models' embeddings within 1e-5.
     */
    @Test
    void finetuneOnSparkEqualsTheLocalFinetune() throws IOException {
        Path model = TinyModelDir.write(dir.resolve("model"), 4);
        Path data = TestData.pairsFile(dir.resolve("pairs.jsonl"), 48);
        List<String> options = List.of("--model", model.toString(), "--train", data.toString(), "--split", "train",
                "--max-steps", "2", "--batch-size", "16", "--lr", "1e-2", "--warmup-steps", "1", "--logging-steps", "1",
                "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0.1", "--matryoshka-dims", "32,16", "--max-length", "32",
                "--gradient-checkpointing", "--no-progress");
        Path localOut = dir.resolve("local-ft"), sparkOut = dir.resolve("spark-ft");
        List<String> local = new ArrayList<>(options);
        local.addAll(List.of("--out", localOut.toString()));
        assertEquals(0, execute(new dev.embedtune.cli.FinetuneCommand(), local.toArray(String[]::new)), "local finetune");
        SparkTestSession.get();
        List<String> spark = new ArrayList<>(List.of("finetune", "--partitions", "2"));
        spark.addAll(options);
        spark.addAll(List.of("--out", sparkOut.toString()));
        assertEquals(0, execute(new SparkMain(), spark.toArray(String[]::new)), "spark finetune");

        List<Double> localLosses = losses(localOut), sparkLosses = losses(sparkOut);
        assertEquals(2, localLosses.size());
        for (int i = 0; i < localLosses.size(); i++) {
            assertEquals(localLosses.get(i), sparkLosses.get(i), 1e-6 * Math.abs(localLosses.get(i)), "loss of step " + (i + 1));
        }
        List<String> texts = TinyModelDir.pairs(8).stream().map(p -> p[0]).toList();
        float[][] a = Embedder.load(localOut.resolve("model")).encode(texts);
        float[][] b = Embedder.load(sparkOut.resolve("model")).encode(texts);
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                diff = Math.max(diff, Math.abs(a[i][j] - b[i][j]));
            }
        }
        assertTrue(diff <= 1e-5, "merged models' embeddings differ by " + diff);
    }

    private static int execute(Object command, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        if (code != 0) {
            System.err.println(out + "\n" + err);
        }
        return code;
    }

    /** The step losses of metrics.jsonl, in step order. */
    private static List<Double> losses(Path out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            if (n.has("loss") && !n.has("train_runtime")) {
                losses.add(n.get("loss").asDouble());
            }
        }
        return losses;
    }
}
