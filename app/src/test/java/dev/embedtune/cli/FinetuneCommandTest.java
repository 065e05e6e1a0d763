package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.trainer.LoraTrainingModel;
import dev.embedtune.train.trainer.TinyModelDir;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code embedtune finetune} end to end on a tiny random BERT ({@link TinyModelDir}) and 40 pairs:
 * what it writes, that the merged model embeds as the trained adapters do, refusing a used output
 * directory, resuming, config files, and error messages.
 */
class FinetuneCommandTest {

    @TempDir
    static Path shared;
    static Path model;
    static Path data;
    /** The outputs of one uninterrupted 4-step run, shared by the tests that inspect it. */
    static Path full;
    static Run fullRun;

    static final List<String> TEXTS = List.of("kludge", "a hacker who hacks", "the daemon runs in the background", "What is cruft?");

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        picocli.CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static String[] trainArgs(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("finetune", "--model", model.toString(), "--train", data.toString(),
                "--out", out.toString(), "--max-steps", "4", "--batch-size", "8", "--lr", "1e-2", "--save-steps", "2",
                "--logging-steps", "1", "--lora-r", "4", "--lora-alpha", "8", "--no-progress"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @BeforeAll
    static void trainOnce() throws IOException {
        model = TinyModelDir.write(shared.resolve("tiny"), 5);
        data = shared.resolve("pairs.jsonl");
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        List<String[]> pairs = TinyModelDir.pairs(40);
        for (int i = 0; i < pairs.size(); i++) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", "r" + i);
            o.put("query", pairs.get(i)[0]);
            o.put("passage", pairs.get(i)[1]);
            o.put("group", pairs.get(i)[2]);
            o.put("split", (i / 2) % 5 == 0 ? "test" : "train");   // 32 train, 8 test, whole groups
            lines.append(json.writeValueAsString(o)).append('\n');
        }
        Files.writeString(data, lines);
        full = shared.resolve("full");
        fullRun = run(trainArgs(full, "--eval-split", "test", "--eval-steps", "2"));
    }

    @Test
    void writesAdapterAndMergedModelThatEmbedsAsTheTrainedAdapters() throws IOException {
        assertEquals(0, fullRun.exit(), fullRun.err());
        assertTrue(fullRun.out().contains("32 pair training examples"), fullRun.out());
        assertTrue(fullRun.out().contains("retrieval, 8 test queries against 40 passages"), fullRun.out());
        assertTrue(fullRun.out().contains("3. base evaluation: off") && fullRun.out().contains("4. mining: off"), fullRun.out());
        assertTrue(fullRun.out().contains("trained 4 steps"), fullRun.out());
        assertTrue(fullRun.out().contains("evaluating the fine-tuned model (" + full.resolve("model") + ")")
                && fullRun.out().contains("fine-tuned metrics: {") && fullRun.out().contains("\"cosine_ndcg@10\":"), fullRun.out());
        for (String f : List.of("adapter/adapter_config.json", "adapter/adapter_model.safetensors", "model/model.safetensors",
                "model/modules.json", "model/1_Pooling/config.json", "model/tokenizer.json", "checkpoint-2/trainer_state.json",
                "checkpoint-4/trainer_state.json", "metrics.jsonl")) {
            assertTrue(Files.isRegularFile(full.resolve(f)), f);
        }
        List<String> metrics = Files.readAllLines(full.resolve("metrics.jsonl"));
        assertTrue(metrics.stream().anyMatch(l -> l.contains("\"step\":2") && l.contains("eval_cosine_ndcg@10")), metrics.toString());

        // the adapters were trained (B moved off zero) and saved with the chosen rank
        ModelDirectory base = ModelDirectory.read(model);
        LoraModel adapters = LoraModel.load(full.resolve("adapter"), base.bertConfig());
        assertEquals(4, adapters.config().r());
        double bNorm = adapters.adapters().values().stream().mapToDouble(a -> a.b().norm2Number().doubleValue()).sum();
        assertTrue(bNorm > 0, "B is still zero");

        // merged = W + s·B·A over the full-precision base: equal to the training model over a dense base with
        // these adapters (float32, same maths in another order: 1e-5 absolute on unit vectors)
        float[][] merged = Embedder.load(full.resolve("model")).encode(TEXTS);
        float[][] training = LoraTrainingModel.fromAdapters(base, adapters, BaseQuantization.NONE, 128).embed(TEXTS);
        double diff = maxDiff(merged, training);
        assertTrue(diff <= 1e-5, "max |difference| " + diff);
        // and different from the base model (the adapters do something)
        assertTrue(maxDiff(merged, Embedder.load(model).encode(TEXTS)) > 1e-3);
    }

    @Test
    void refusesAUsedOutputDirectoryWithoutOverwrite() {
        Run r = run(trainArgs(full));
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("output directory " + full + " is not empty") && r.err().contains("--overwrite")
                && r.err().contains("--resume"), r.err());
        // a directory of someone else's files: refused too, and --overwrite keeps them (checked in overwriteAndConfigFile)
        Path foreign = shared.resolve("foreign");
        try {
            Files.createDirectories(foreign);
            Files.writeString(foreign.resolve("thesis.tex"), "mine");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        r = run(trainArgs(foreign));
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("holds no embedtune run") && r.err().contains("none of them is deleted"), r.err());
    }

    /** Resuming from checkpoint-2 of an interrupted run ends where the uninterrupted run ended. */
    @Test
    void resumeContinuesFromTheLastCheckpoint() throws IOException {
        assertEquals(0, fullRun.exit(), fullRun.err());
        Path interrupted = shared.resolve("interrupted");
        copyTree(full, interrupted);
        // as if the process died after writing checkpoint-2
        for (String gone : List.of("checkpoint-4", "final", "adapter", "model")) {
            deleteTree(interrupted.resolve(gone));
        }
        Run r = run(trainArgs(interrupted, "--eval-split", "test", "--eval-steps", "2", "--resume"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("trained 4 steps"), r.out());
        ModelDirectory base = ModelDirectory.read(model);
        LoraModel expected = LoraModel.load(full.resolve("adapter"), base.bertConfig());
        LoraModel resumed = LoraModel.load(interrupted.resolve("adapter"), base.bertConfig());
        // same data order, same arithmetic: equal up to float32 reduction order (1e-6 absolute)
        expected.adapters().forEach((module, a) -> {
            INDArray b = resumed.adapters().get(module).b();
            double d = a.b().sub(b).amaxNumber().doubleValue();
            assertTrue(d <= 1e-6, module + ": max |difference| " + d);
        });
        List<String> metrics = Files.readAllLines(interrupted.resolve("metrics.jsonl"));
        assertEquals(Files.readAllLines(full.resolve("metrics.jsonl")).size(), metrics.size(), "one log, continued");
    }

    /** --overwrite replaces the earlier run; --config supplies settings that options given on the command line override. */
    @Test
    void overwriteAndConfigFile() throws IOException {
        Path out = shared.resolve("overwritten");
        Files.createDirectories(out.resolve("checkpoint-99"));
        Files.writeString(out.resolve("notes.txt"), "mine");
        Path config = shared.resolve("run.yaml");
        Files.writeString(config, """
                output_dir: ignored/because/of/--out
                learning_rate: 5.0e-3
                max_steps: 1
                save_steps: 0
                lora_r: 2
                lora_alpha: 4
                loss: mnrl-symmetric
                lora_dropout: 0.05
                lora_bias: lora_only
                modules_to_save: [embeddings.LayerNorm]
                model_dropout: false
                use_rslora: true
                """);
        Run r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", out.toString(),
                "--config", config.toString(), "--lora-alpha", "6", "--overwrite", "--no-progress");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("trained 1 step,") && r.out().contains("fine-tuning: mnrl-symmetric"), r.out());
        assertFalse(Files.exists(out.resolve("checkpoint-99")), "the earlier run's checkpoint is gone");
        assertEquals("mine", Files.readString(out.resolve("notes.txt")), "files the trainer did not write are kept");
        JsonNode adapter = new ObjectMapper().readTree(out.resolve("adapter/adapter_config.json").toFile());
        assertEquals(2, adapter.get("r").asInt(), "from the config");
        assertEquals(6.0, adapter.get("lora_alpha").asDouble(), "the command line wins");
        assertEquals(0.05, adapter.get("lora_dropout").asDouble());
        assertEquals("lora_only", adapter.get("bias").asText());
        assertTrue(adapter.get("use_rslora").asBoolean(), "use_rslora from the config");
        assertEquals("embeddings.LayerNorm", adapter.get("modules_to_save").get(0).asText());
        LoraModel saved = LoraModel.load(out.resolve("adapter"), ModelDirectory.read(model).bertConfig());
        // lora_only: the biases of the 6 adapted linears of each of 2 layers; embeddings.LayerNorm: γ and β
        assertEquals(2 * 6 + 2, saved.baseTensors().size(), saved.baseTensors().keySet().toString());
    }

    @Test
    void badInputIsNamed() throws IOException {
        Path bad = shared.resolve("bad.jsonl");
        Files.writeString(bad, "{\"query\": \"a\", \"passage\": \"b\"}\n{\"query\": \"c\"}\n");
        Run r = run("finetune", "--model", model.toString(), "--train", bad.toString(), "--out", shared.resolve("x").toString(),
                "--split", "all");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(bad + ":2: column 'passage' (mapped to positive) is missing"), r.err());

        r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", shared.resolve("x").toString(),
                "--split", "dev");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("no record has split 'dev'; the splits found are [test, train]"), r.err());

        r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", shared.resolve("x").toString(),
                "--loss", "mse");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown loss 'mse'"), r.err());

        r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", shared.resolve("x").toString(),
                "--loss", "cosent", "--max-steps", "1");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("loss cosent (CoSENTLoss) trains on pair_score examples"), r.err());

        r = run("finetune", "--model", model.toString(), "--train", shared.resolve("none.jsonl").toString(), "--out",
                shared.resolve("x").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("none.jsonl: no such file"), r.err());

        r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", shared.resolve("x").toString(),
                "--matryoshka-dims", "64,32");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("matryoshka_dims [64, 32]: 64 exceeds the embedding dimension 32"), r.err());
        assertFalse(Files.exists(shared.resolve("x").resolve("adapter")));
    }

    /** Settings of the trainable biases and LayerNorms are checked, naming the option or key. */
    @Test
    void badBiasAndModulesToSaveAreNamed() {
        Run r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", shared.resolve("y").toString(),
                "--lora-bias", "some");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("command line: lora_bias: bias must be none, all or lora_only, got 'some'"), r.err());
        r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", shared.resolve("y").toString(),
                "--modules-to-save", "dense", "--max-steps", "1");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("modules_to_save entry 'dense' matches encoder.layer.0.attention.output.dense, which is not a norm"),
                r.err());
    }

    /**
     * With dropout on (the model's and LoRA's) and biases and LayerNorms training, a run resumed from
     * checkpoint-2 ends where the uninterrupted run ends: the checkpoint restores the extra tensors and
     * their optimizer state, and the dropout masks follow from the seed and step.
     */
    @Test
    void resumeWithDropoutAndTrainedBiasesAndLayerNorms() throws IOException {
        String[] options = {"--lora-dropout", "0.1", "--lora-bias", "all", "--modules-to-save", "LayerNorm"};
        Path whole = shared.resolve("whole-extras");
        Run r = run(trainArgs(whole, options));
        assertEquals(0, r.exit(), r.err());
        Path interrupted = shared.resolve("interrupted-extras");
        copyTree(whole, interrupted);
        for (String gone : List.of("checkpoint-4", "final", "adapter", "model")) {
            deleteTree(interrupted.resolve(gone));
        }
        List<String> resume = new ArrayList<>(List.of(trainArgs(interrupted, options)));
        resume.add("--resume");
        r = run(resume.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        ModelDirectory base = ModelDirectory.read(model);
        LoraModel expected = LoraModel.load(whole.resolve("adapter"), base.bertConfig());
        LoraModel resumed = LoraModel.load(interrupted.resolve("adapter"), base.bertConfig());
        // 2 layers × 8 biases + the embeddings' LayerNorm bias + 5 LayerNorm weights
        assertEquals(2 * 8 + 1 + 5, expected.baseTensors().size());
        // same data order, same masks, same arithmetic: equal up to float32 reduction order (1e-6 absolute)
        expected.adapters().forEach((module, a) -> {
            double d = a.b().sub(resumed.adapters().get(module).b()).amaxNumber().doubleValue();
            assertTrue(d <= 1e-6, module + ": max |difference| " + d);
        });
        expected.baseTensors().forEach((name, t) -> {
            double d = t.sub(resumed.baseTensors().get(name)).amaxNumber().doubleValue();
            assertTrue(d <= 1e-6, name + ": max |difference| " + d);
        });
        // and the extras trained: the merged model's embedding LayerNorm is not the base model's
        LoraModel atStart = LoraModel.load(whole.resolve("checkpoint-2"), base.bertConfig());
        assertTrue(atStart.baseTensors().get("embeddings.LayerNorm.weight")
                .sub(expected.baseTensors().get("embeddings.LayerNorm.weight")).amaxNumber().doubleValue() > 1e-5,
                "γ of the embedding LayerNorm moved between steps 2 and 4");
    }

    /**
     * Issue 19: {@code --export-onnx} (export_onnx) ends the run with a servable ONNX model in
     * {@code onnx/}. It is the merged model's: imported back, it embeds exactly as {@code model/}
     * (tolerance 0: the float32 weights round-trip bit for bit; the export itself is checked against
     * ONNX Runtime in the model module's tests).
     */
    @Test
    void exportOnnxWritesTheMergedModelAsOnnx() throws IOException {
        Path out = shared.resolve("with-onnx");
        Run r = run("finetune", "--model", model.toString(), "--train", data.toString(), "--out", out.toString(), "--max-steps", "1",
                "--batch-size", "8", "--lora-r", "2", "--save-steps", "0", "--no-progress", "--export-onnx");
        assertEquals(0, r.exit(), r.err());
        Path onnx = out.resolve("onnx");
        assertTrue(Files.isRegularFile(onnx.resolve("model.onnx")) && Files.isRegularFile(onnx.resolve("tokenizer.json"))
                && Files.isRegularFile(onnx.resolve("modules.json")), "onnx/ holds the export");
        assertTrue(r.out().contains("exported " + onnx.resolve("model.onnx")) && r.out().contains("onnx:     " + onnx), r.out());

        Path back = shared.resolve("onnx-imported");
        Run imported = run("import-onnx", "--source", onnx.resolve("model.onnx").toString(), "--tokenizer", onnx.resolve("tokenizer.json").toString(),
                "--output", back.toString());
        assertEquals(0, imported.exit(), imported.err());
        assertEquals(0.0, maxDiff(Embedder.load(out.resolve("model")).encode(TEXTS), Embedder.load(back).encode(TEXTS)));

        // the key of a run specification, shown by --print-config
        Path config = shared.resolve("export.yaml");
        Files.writeString(config, "export_onnx: true\n");
        Run printed = run("run", "--config", config.toString(), "--print-config");
        assertEquals(0, printed.exit(), printed.err());
        assertTrue(printed.out().contains("export_onnx: true"), printed.out());
    }

    @Test
    void helpShowsDefaults() {
        Run r = run("finetune", "--help");
        assertEquals(0, r.exit());
        for (String s : List.of("(default: nf4)", "LoRA rank (default: 16)", "(default: 32)", "(default: mnrl)", "(default: 128)",
                "--matryoshka-dims", "--columns", "--resume", "--overwrite", "--eval-split", "--batch-sampler", "--rslora",
                "--lora-dropout", "--lora-bias", "--modules-to-save", "--no-model-dropout", "(default: all-linear)", "--export-onnx")) {
            assertTrue(r.out().contains(s), s + " in\n" + r.out());
        }
    }

    static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
