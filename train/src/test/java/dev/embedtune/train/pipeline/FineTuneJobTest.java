package dev.embedtune.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.loss.MatryoshkaLoss;
import dev.embedtune.train.trainer.*;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link FineTuneJob} on a tiny random BERT ({@link TinyModelDir}). */
class FineTuneJobTest {

    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path tmp;

    static final List<String> TEXTS = List.of("kludge", "a hacker who hacks", "the daemon runs in the background",
            "What is cruft?", "", "grok: to understand deeply and intuitively, so that it becomes part of you");

    @BeforeAll
    static void writeModel() throws IOException {
        model = TinyModelDir.write(shared.resolve("tiny"), 1);
    }

    /**
     * With fresh adapters (B = 0) the training model is the base model: its embeddings equal the
     * inference Embedder's. float32, the same operations in another order: 1e-5 absolute on unit vectors.
     */
    @Test
    void freshAdaptersEmbedLikeTheEmbedder() throws IOException {
        assertEmbedsLikeEmbedder(model, 1e-5);
    }

    /** The same on the real all-MiniLM-L6-v2, when an earlier run has already imported it (no import here). */
    @Test
    void freshAdaptersEmbedLikeTheEmbedderOnMiniLm() throws IOException {
        Path minilm = ModelCache.home().resolve("models/all-minilm-l6-v2");
        assumeTrue(Files.isRegularFile(minilm.resolve(".embedtune-imported")), "all-MiniLM-L6-v2 is not in the cache " + minilm);
        assertEmbedsLikeEmbedder(minilm, 1e-5);
    }

    private static void assertEmbedsLikeEmbedder(Path dir, double tolerance) throws IOException {
        LoraTrainingModel m = LoraTrainingModel.create(dir, new LoraConfig(4, 8, 0, LoraConfig.BERT_DEFAULT_TARGETS, false),
                BaseQuantization.NONE, null, 3);
        float[][] expected = Embedder.load(dir).encode(TEXTS);
        float[][] actual = m.embed(TEXTS);
        assertTrue(maxDiff(expected, actual) <= tolerance, "max |difference| " + maxDiff(expected, actual));
    }

    static double maxDiff(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    /** Each loss name builds its loss and trains one step on data of its format: B moves off zero. */
    @ParameterizedTest
    @ValueSource(strings = {"mnrl", "cached-mnrl", "mnrl-symmetric", "cosent", "angle", "triplet", "contrastive",
            "online-contrastive", "MultipleNegativesRankingLoss"})
    void everyLossTrainsOneStep(String loss) throws IOException {
        Dataset data = dataFor(FineTuneJob.formatsOf(loss).iterator().next(), 8);
        TrainingArguments args = TrainingArguments.builder(tmp.resolve("out")).maxSteps(1).perDeviceTrainBatchSize(8)
                .learningRate(1e-2).saveSteps(0).disableTqdm(true).build();
        FineTuneJob job = Job.of(model, args).loss(loss)
                .lora(new LoraConfig(2, 4, 0, LoraConfig.BERT_DEFAULT_TARGETS, false)).prepare();
        TrainResult r = job.train(data, null, null, null);
        assertEquals(1, r.globalStep());
        assertTrue(Double.isFinite(r.trainingLoss()), "loss " + r.trainingLoss());
        double bNorm = 0;
        for (var e : job.model().parameters().entrySet()) {
            if (e.getKey().endsWith("lora_B.weight")) {
                bNorm += e.getValue().norm2Number().doubleValue();
            }
        }
        // online-contrastive may find no hard pair in a batch of random embeddings (loss 0, no update)
        assertTrue(bNorm > 0 || (loss.equals("online-contrastive") && r.trainingLoss() == 0), loss + ": B stayed zero");
    }

    /**
     * Training descends: with one batch holding the whole dataset, every step sees the same examples
     * (MNRL does not depend on their order), so the step losses fall, over a dense and an NF4 base.
     * The model's dropout is off: with it every step would see other masks, and the losses would not
     * fall monotonically.
     */
    @ParameterizedTest
    @ValueSource(strings = {"none", "nf4"})
    void stepLossesFallOnAFixedBatch(String quantize) throws IOException {
        List<Double> losses = new ArrayList<>();
        TrainingArguments args = TrainingArguments.builder(tmp.resolve("out")).maxSteps(8).perDeviceTrainBatchSize(8)
                .learningRate(1e-2).lrSchedulerType(SchedulerType.CONSTANT).saveSteps(0).disableTqdm(true).build();
        FineTuneJob job = Job.of(model, args).quantization(BaseQuantization.parse(quantize))
                .lora(new LoraConfig(4, 8, 0, LoraConfig.BERT_DEFAULT_TARGETS, false)).modelDropout(false).prepare();
        job.train(dataFor(ExampleFormat.PAIR, 8), null, new TrainerListener() {
            @Override
            public void onStepEnd(StepOutcome s) {
                losses.add(s.loss());
            }
        }, null);
        assertEquals(8, losses.size());
        for (int i = 1; i < losses.size(); i++) {
            assertTrue(losses.get(i) < losses.get(i - 1), "step losses " + losses);
        }
        assertTrue(losses.get(7) < 0.7 * losses.get(0), "step losses " + losses);
    }

    @Test
    void matryoshkaDimsWrapTheLossAndAreChecked() throws IOException {
        TrainingArguments args = TrainingArguments.builder(tmp.resolve("out")).maxSteps(1).build();
        FineTuneJob job = Job.of(model, args).dims(List.of(32, 16, 8)).prepare();
        assertTrue(job.loss() instanceof MatryoshkaLoss);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Job.of(model, args).dims(List.of(64, 32)).prepare());
        assertTrue(e.getMessage().contains("cannot exceed the model's embedding dimension of 32"), e.getMessage());
    }

    @Test
    void unknownLossAndMismatchedDataAreRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Job.of(model, TrainingArguments.builder(tmp.resolve("out")).build()).loss("mse"));
        assertTrue(e.getMessage().contains("unknown loss 'mse'") && e.getMessage().contains("cached-mnrl"), e.getMessage());
        TrainingArguments args = TrainingArguments.builder(tmp.resolve("out")).maxSteps(1).disableTqdm(true).build();
        FineTuneJob job = Job.of(model, args).loss("cosent").prepare();
        e = assertThrows(IllegalArgumentException.class, () -> job.train(dataFor(ExampleFormat.PAIR, 4), null, null, null));
        assertTrue(e.getMessage().contains("loss cosent (CoSENTLoss) trains on pair_score examples, but toy holds pair examples"),
                e.getMessage());
    }

    /**
     * LoRA dropout, bias "all" and every LayerNorm in modules_to_save: the biases and norms train
     * (they move off the base values), adapter/ holds them and reloads them bit for bit, and the merged
     * model embeds as the training model does (dense base, float32: 1e-5 absolute on unit vectors).
     */
    @Test
    void trainsBiasesAndLayerNormsWithDropoutAndSavesThem() throws IOException {
        Path out = tmp.resolve("out");
        TrainingArguments args = TrainingArguments.builder(out).maxSteps(2).perDeviceTrainBatchSize(4).learningRate(1e-2)
                .saveSteps(0).disableTqdm(true).build();
        LoraConfig lora = new LoraConfig(4, 8, 0.1, LoraConfig.BERT_DEFAULT_TARGETS, false, LoraBias.ALL, List.of("LayerNorm"));
        FineTuneJob job = Job.of(model, args).quantization(BaseQuantization.NONE)
                .lora(lora).prepare();
        job.train(dataFor(ExampleFormat.PAIR, 8), null, null, null);
        INDArray beta = job.model().parameters().get("embeddings.LayerNorm.bias");
        INDArray bias = job.model().parameters().get("encoder.layer.1.output.dense.bias");
        assertTrue(beta != null && bias != null, job.model().parameters().keySet().toString());
        FineTuneJob.Saved saved = job.save();
        LoraModel reloaded = LoraModel.load(saved.adapterDir(), ModelDirectory.read(model).bertConfig());
        assertEquals(lora, reloaded.config());
        assertEquals(beta, reloaded.baseTensors().get("embeddings.LayerNorm.bias"));
        assertEquals(bias, reloaded.baseTensors().get("encoder.layer.1.output.dense.bias"));
        LoraModel fresh = LoraModel.load(saved.adapterDir(), ModelDirectory.read(model).bertConfig());
        try (var w = ModelDirectory.read(model).openWeights()) {
            INDArray original = dev.embedtune.model.bert.BertEncoder.readWeights(ModelDirectory.read(model).bertConfig(), w, model)
                    .get("embeddings.LayerNorm.bias");
            assertTrue(original.sub(fresh.baseTensors().get("embeddings.LayerNorm.bias")).amaxNumber().doubleValue() > 1e-4,
                    "the embedding LayerNorm's β must have trained");
        }
        double diff = maxDiff(job.model().embed(TEXTS), Embedder.load(saved.modelDir()).encode(TEXTS));
        assertTrue(diff <= 1e-5, "max |difference| " + diff);
    }

    /** save() writes adapter/ (PEFT, reloadable) and model/ (merged), with no temporary directory left behind. */
    @Test
    void saveWritesAdapterAndMergedModel() throws IOException {
        Path out = tmp.resolve("out");
        TrainingArguments args = TrainingArguments.builder(out).maxSteps(2).perDeviceTrainBatchSize(4).learningRate(1e-2)
                .saveSteps(0).disableTqdm(true).build();
        FineTuneJob job = Job.of(model, args).quantization(BaseQuantization.NONE).prepare();
        job.train(dataFor(ExampleFormat.PAIR, 8), null, null, null);
        FineTuneJob.Saved saved = job.save();
        assertEquals(out.resolve("adapter"), saved.adapterDir());
        assertEquals(out.resolve("model"), saved.modelDir());
        LoraModel reloaded = LoraModel.load(saved.adapterDir(), ModelDirectory.read(model).bertConfig());
        job.model().adapters().adapters().forEach((module, a) -> {
            INDArray b = reloaded.adapters().get(module).b();
            assertEquals(0.0, a.b().sub(b).norm1Number().doubleValue(), 0.0, module);
        });
        // dense base: the merged model embeds exactly as the training model (float32, 1e-5)
        double diff = maxDiff(job.model().embed(TEXTS), Embedder.load(saved.modelDir()).encode(TEXTS));
        assertTrue(diff <= 1e-5, "max |difference| " + diff);
        // saving again replaces both directories whole
        job.save();
        try (var names = Files.list(out)) {
            List<String> listed = names.map(p -> p.getFileName().toString()).sorted().toList();
            assertFalse(listed.stream().anyMatch(n -> n.startsWith(".")), listed.toString());
            assertTrue(listed.containsAll(List.of("adapter", "final", "metrics.jsonl", "model")), listed.toString());
        }
    }

    /** {@code n} examples of {@code format}, all texts distinct. */
    static Dataset dataFor(ExampleFormat format, int n) {
        List<String[]> pairs = TinyModelDir.pairs(n + 1);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String[] p = pairs.get(i);
            examples.add(switch (format) {
                case PAIR -> new Example(List.of(p[0], p[1]), null, p[2]);
                case TRIPLET -> new Example(List.of(p[0], p[1], pairs.get(i + 1)[1]), null, p[2]);
                case N_TUPLE -> new Example(List.of(p[0], p[1], pairs.get(i + 1)[1], pairs.get((i + 2) % n)[1]), null, p[2]);
                case PAIR_SCORE -> new Example(List.of(p[0], i % 2 == 0 ? p[1] : pairs.get(i + 1)[1]), (i % 5) / 4.0, p[2]);
                case PAIR_LABEL -> new Example(List.of(p[0], i % 2 == 0 ? p[1] : pairs.get(i + 1)[1]), (double) (1 - i % 2), p[2]);
            });
        }
        return new Dataset("toy", format, examples);
    }

    /**
     * A job as these tests describe it: the trainer's arguments as given (Hugging Face's defaults), no
     * Matryoshka loss, no stages, and the settings each test changes, read as a run specification.
     */
    static final class Job {
        private final Path model;
        private final ObjectNode tree;
        private RunSpec spec;

        private Job(Path model, ObjectNode tree) {
            this.model = model;
            this.tree = tree;
            this.spec = RunSpec.fromTree(tree, "test", w -> { });
        }

        static Job of(Path model, TrainingArguments args) {
            ObjectNode t = args.toJson();
            t.remove("eval_strategy");
            t.remove("save_strategy");
            t.putArray("matryoshka_dims");
            t.put("base_evaluation", false).put("report", false).putNull("eval_split");
            t.putObject("mining").put("enabled", false);
            return new Job(model, t);
        }

        private Job with(String key, com.fasterxml.jackson.databind.JsonNode value) {
            ObjectNode t = tree.deepCopy();
            t.set(key, value);
            return new Job(model, t);
        }

        Job loss(String name) {
            return with("loss", JsonNodeFactory.instance.textNode(name));
        }

        Job quantization(BaseQuantization q) {
            return with("quantization", JsonNodeFactory.instance.textNode(q.toString()));
        }

        Job modelDropout(boolean on) {
            return with("model_dropout", JsonNodeFactory.instance.booleanNode(on));
        }

        Job dims(List<Integer> dims) {
            com.fasterxml.jackson.databind.node.ArrayNode a = JsonNodeFactory.instance.arrayNode();
            dims.forEach(a::add);
            return with("matryoshka_dims", a);
        }

        Job lora(LoraConfig lora) {
            ObjectNode t = tree.deepCopy();
            t.put("lora_r", lora.r()).put("lora_alpha", lora.alpha()).put("lora_dropout", lora.dropout())
                    .put("use_rslora", lora.useRslora()).put("lora_bias", lora.bias().peftName());
            lora.targetModules().forEach(t.putArray("target_modules")::add);
            lora.modulesToSave().forEach(t.putArray("modules_to_save")::add);
            return new Job(model, t);
        }

        RunSpec spec() {
            return spec;
        }

        FineTuneJob prepare() throws IOException {
            return FineTuneJob.prepare(spec, model);
        }
    }
}
