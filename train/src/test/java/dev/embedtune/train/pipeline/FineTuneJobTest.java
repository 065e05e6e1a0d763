package dev.embedtune.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
        FineTuneJob job = FineTuneJob.prepare(FineTuneJob.Settings.defaults(model).withLoss(loss)
                .withLora(new LoraConfig(2, 4, 0, LoraConfig.BERT_DEFAULT_TARGETS, false)), args);
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
        FineTuneJob job = FineTuneJob.prepare(FineTuneJob.Settings.defaults(model).withQuantization(BaseQuantization.parse(quantize))
                .withLora(new LoraConfig(4, 8, 0, LoraConfig.BERT_DEFAULT_TARGETS, false)).withModelDropout(false), args);
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
        FineTuneJob job = FineTuneJob.prepare(FineTuneJob.Settings.defaults(model).withMatryoshkaDims(List.of(32, 16, 8)), args);
        assertTrue(job.loss() instanceof MatryoshkaLoss);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FineTuneJob.prepare(FineTuneJob.Settings.defaults(model).withMatryoshkaDims(List.of(64, 32)), args));
        assertTrue(e.getMessage().contains("cannot exceed the model's embedding dimension of 32"), e.getMessage());
    }

    @Test
    void unknownLossAndMismatchedDataAreRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FineTuneJob.Settings.defaults(model).withLoss("mse"));
        assertTrue(e.getMessage().contains("unknown loss 'mse'") && e.getMessage().contains("cached-mnrl"), e.getMessage());
        TrainingArguments args = TrainingArguments.builder(tmp.resolve("out")).maxSteps(1).disableTqdm(true).build();
        FineTuneJob job = FineTuneJob.prepare(FineTuneJob.Settings.defaults(model).withLoss("cosent"), args);
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
        FineTuneJob job = FineTuneJob.prepare(FineTuneJob.Settings.defaults(model).withQuantization(BaseQuantization.NONE)
                .withLora(lora), args);
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
        FineTuneJob job = FineTuneJob.prepare(FineTuneJob.Settings.defaults(model).withQuantization(BaseQuantization.NONE), args);
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
}
