package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.data.ShuffledBatchSampler;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training loop on {@link LinearToyModel} with MultipleNegativesRankingLoss. The default run: 14
 * pairs, batch 3 (5 micro-batches per epoch, the last of 2), accumulation 2 (3 optimizer steps per
 * epoch, the last of one micro-batch), 4 epochs = 12 steps, linear schedule with 2 warm-up steps,
 * clipping at 1.0, weight decay 0.01, dropout 0.1 in the toy. Reproducibility is checked bit for bit
 * (tolerance 0); the one-step check against a hand-applied AdamW update uses 1e-12 in double.
 */
class TrainerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EmbeddingLoss MNRL = new MultipleNegativesRankingLoss();

    @TempDir
    Path tmp;

    static Dataset pairs(int n) {
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ex.add(Example.pair("query " + i, "document " + i));
        }
        return new Dataset("toy pairs", ExampleFormat.PAIR, ex);
    }

    static TrainingArguments.Builder base(Path out) {
        return TrainingArguments.builder(out).numTrainEpochs(4).perDeviceTrainBatchSize(3).gradientAccumulationSteps(2)
                .learningRate(0.05).warmupSteps(2).lrSchedulerType(SchedulerType.LINEAR).weightDecay(0.01).maxGradNorm(1.0)
                .loggingSteps(3).evalSteps(4).saveSteps(4).seed(7).disableTqdm(true);
    }

    static LinearToyModel floatModel(long initSeed) {
        return new LinearToyModel(DataType.FLOAT, 0.1, 11, initSeed);
    }

    record ToyResult(Map<String, Double> metrics) implements EvaluationResult {
        @Override
        public String primaryMetric() {
            return "score";
        }

        @Override
        public boolean greaterIsBetter() {
            return true;
        }
    }

    /** Mean cosine of each query with its document under the current weights. */
    static Evaluator<ToyResult> meanCosine(Dataset d) {
        return encoder -> {
            List<String> q = d.examples().stream().map(Example::anchor).toList();
            List<String> p = d.examples().stream().map(Example::positive).toList();
            float[][] a = encoder.encode(q);
            float[][] b = encoder.encode(p);
            double sum = 0;
            for (int i = 0; i < a.length; i++) {
                double dot = 0, na = 0, nb = 0;
                for (int j = 0; j < a[i].length; j++) {
                    dot += a[i][j] * b[i][j];
                    na += a[i][j] * a[i][j];
                    nb += b[i][j] * b[i][j];
                }
                sum += dot / Math.sqrt(na * nb);
            }
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("score", sum / a.length);
            return new ToyResult(m);
        };
    }

    static List<String> lines(Path out) throws Exception {
        return Files.readAllLines(out.resolve(MetricsLog.FILE_NAME));
    }

    /** All lines but the final summary (whose runtime differs between runs). */
    static List<String> withoutSummary(Path out) throws Exception {
        List<String> l = lines(out);
        assertTrue(l.get(l.size() - 1).contains("\"train_runtime\""), l.get(l.size() - 1));
        return l.subList(0, l.size() - 1);
    }

    static void assertSameFloats(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((n, e) -> assertArrayEquals(e, actual.get(n), 0f, n));
    }

    static Map<String, float[]> floats(Map<String, INDArray> params) {
        Map<String, float[]> s = new LinkedHashMap<>();
        params.forEach((n, p) -> s.put(n, p.dup('c').data().asFloat()));
        return s;
    }

    // ------------------------------------------------------------------ the toy's own backward

    @Test
    void toyModelGradientMatchesFiniteDifferences() {
        LinearToyModel m = new LinearToyModel(DataType.DOUBLE, 0.0, 3, 5);
        List<List<String>> cols = List.of(List.of("a", "b", "c"), List.of("x", "y", "z"));
        m.zeroGradients();
        m.forwardBackward(cols, null, MNRL, 1.0, 0);
        Map<String, double[]> analytic = new LinkedHashMap<>();
        m.gradients().forEach((n, g) -> analytic.put(n, g.dup('c').data().asDouble()));
        double h = 1e-6;
        for (Map.Entry<String, INDArray> e : m.parameters().entrySet()) {
            INDArray p = e.getValue();
            for (int i = 0; i < p.length(); i++) {
                double v = p.getDouble(i);
                p.putScalar(i, v + h);
                double up = m.forwardBackward(cols, null, MNRL, 0.0, 0);
                p.putScalar(i, v - h);
                double down = m.forwardBackward(cols, null, MNRL, 0.0, 0);
                p.putScalar(i, v);
                // central differences: error O(h²) plus rounding 1e-16/h; 1e-7 absolute is far above both
                assertEquals((up - down) / (2 * h), analytic.get(e.getKey())[i], 1e-7, e.getKey() + "[" + i + "]");
            }
        }
    }

    // ------------------------------------------------------------------ one step by hand

    @Test
    void oneStepIsTheModelsGradientThroughAdamW() throws Exception {
        Dataset d = pairs(8);
        long seed = 3;
        TrainingArguments args = TrainingArguments.builder(tmp).maxSteps(1).perDeviceTrainBatchSize(4).learningRate(0.01)
                .lrSchedulerType(SchedulerType.CONSTANT).maxGradNorm(0).seed(seed).saveSteps(0).loggingSteps(1)
                .disableTqdm(false).build();   // the one test that shows the progress bar (on stderr)
        LinearToyModel trained = new LinearToyModel(DataType.DOUBLE, 0.2, 1, 2);
        new Trainer(trained, d, MNRL, args).train();

        // the same micro-batch and dropout seed through an identical model, then torch's first AdamW step:
        // m̂ = g, v̂ = g² → p −= lr · g / (|g| + eps)
        LinearToyModel ref = new LinearToyModel(DataType.DOUBLE, 0.2, 1, 2);
        Map<String, double[]> before = ref.snapshot();
        int[] batch = new ShuffledBatchSampler(8, 4, seed, false).batches(0).get(0);
        List<String> q = new ArrayList<>();
        List<String> p = new ArrayList<>();
        for (int i : batch) {
            q.add(d.get(i).anchor());
            p.add(d.get(i).positive());
        }
        ref.zeroGradients();
        ref.forwardBackward(List.of(q, p), null, MNRL, 1.0, Trainer.dropoutSeed(seed, 0, 0));
        Map<String, double[]> after = trained.snapshot();
        for (String name : before.keySet()) {
            double[] g = ref.gradients().get(name).dup('c').data().asDouble();
            double[] expected = before.get(name).clone();
            for (int i = 0; i < g.length; i++) {
                expected[i] -= 0.01 * g[i] / (Math.abs(g[i]) + 1e-8);
            }
            assertArrayEquals(expected, after.get(name), 1e-12, name);
        }
        assertTrue(Files.isRegularFile(tmp.resolve("final/adapter_model.safetensors")));
    }

    // ------------------------------------------------------------------ reproducibility

    @Test
    void sameSeedGivesBitIdenticalRunsAndAnotherSeedDoesNot() throws Exception {
        Dataset d = pairs(14);
        LinearToyModel a = floatModel(1);
        LinearToyModel b = floatModel(1);
        LinearToyModel c = floatModel(1);
        new Trainer(a, d, MNRL, base(tmp.resolve("a")).build(), meanCosine(d), null).train();
        new Trainer(b, d, MNRL, base(tmp.resolve("b")).build(), meanCosine(d), null).train();
        new Trainer(c, d, MNRL, base(tmp.resolve("c")).seed(8).build(), meanCosine(d), null).train();
        assertSameFloats(a.floats(), b.floats());
        assertEquals(withoutSummary(tmp.resolve("a")), withoutSummary(tmp.resolve("b")));
        assertFalse(java.util.Arrays.equals(a.floats().get("lora_A"), c.floats().get("lora_A")));
    }

    /**
     * save_steps 4 leaves checkpoint-4 mid-epoch (epoch 1, micro-batch 2); save_steps 3 leaves
     * checkpoint-6 at the end of epoch 1 (micro-batch 5 of 5), from which the resumed run must roll over.
     * Both samplers recompute an epoch's batches from (seed, epoch).
     */
    @ParameterizedTest
    @CsvSource({"4, batch_sampler", "3, batch_sampler", "4, no_duplicates"})
    void resumeAfterACrashIsBitIdenticalToAnUninterruptedRun(int saveSteps, String sampler) throws Exception {
        Dataset d = pairs(14);
        LinearToyModel full = floatModel(1);
        TrainingArguments.Builder args = base(tmp.resolve("full")).saveSteps(saveSteps).batchSampler(BatchSamplerType.parse(sampler));
        TrainResult whole = new Trainer(full, d, MNRL, args.build(), meanCosine(d), null).train();
        assertEquals(12, whole.globalStep());

        // killed after step 7's update, before its log line
        Path out = tmp.resolve("killed");
        TrainerListener killAt7 = new TrainerListener() {
            @Override
            public void onStepEnd(StepOutcome s) {
                if (s.step() == 7) {
                    throw new IllegalStateException("simulated kill");
                }
            }
        };
        assertThrows(IllegalStateException.class,
                () -> new Trainer(floatModel(1), d, MNRL, args.outputDir(out).build(), meanCosine(d), killAt7).train());
        int latest = saveSteps == 4 ? 4 : 6;
        assertEquals(out.resolve("checkpoint-" + latest), Checkpoints.latest(out));
        TrainerState state = Checkpoints.load(out.resolve("checkpoint-" + latest)).state();
        assertEquals(1, state.epoch());
        assertEquals(saveSteps == 4 ? 2 : 5, state.batchInEpoch());

        // a model with other initial weights: the checkpoint must restore them
        LinearToyModel resumed = floatModel(99);
        TrainResult r = new Trainer(resumed, d, MNRL, args.outputDir(out).build(), meanCosine(d), null).train("latest");
        assertEquals(12, r.globalStep());
        assertSameFloats(full.floats(), resumed.floats());
        assertEquals(withoutSummary(tmp.resolve("full")), withoutSummary(out));
        assertEquals(whole.trainingLoss(), r.trainingLoss(), 0.0);
    }

    @Test
    void resumeFromAnOlderCheckpointDropsLaterLogLinesAndRewritesLaterCheckpoints() throws Exception {
        Dataset d = pairs(14);
        LinearToyModel full = floatModel(1);
        new Trainer(full, d, MNRL, base(tmp.resolve("full")).build(), meanCosine(d), null).train();

        // killed right after checkpoint-8 was written; resume from checkpoint-4 explicitly
        Path out = tmp.resolve("killed");
        TrainerListener killAfter8 = new TrainerListener() {
            @Override
            public void onCheckpoint(int step, Path dir) {
                if (step == 8) {
                    throw new IllegalStateException("simulated kill");
                }
            }
        };
        assertThrows(IllegalStateException.class,
                () -> new Trainer(floatModel(1), d, MNRL, base(out).build(), meanCosine(d), killAfter8).train());
        Map<String, float[]> at8 = floats(Checkpoints.load(out.resolve("checkpoint-8")).parameters());
        LinearToyModel resumed = floatModel(5);
        new Trainer(resumed, d, MNRL, base(out).build(), meanCosine(d), null).train(out.resolve("checkpoint-4").toString());
        assertSameFloats(full.floats(), resumed.floats());
        assertEquals(withoutSummary(tmp.resolve("full")), withoutSummary(out));
        assertSameFloats(at8, floats(Checkpoints.load(out.resolve("checkpoint-8")).parameters()));
    }

    @Test
    void resumeRefusesOtherDataOrderSettings() throws Exception {
        Dataset d = pairs(14);
        Path out = tmp.resolve("run");
        new Trainer(floatModel(1), d, MNRL, base(out).maxSteps(4).evalSteps(0).build()).train();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(floatModel(1), d, MNRL, base(out).seed(8).evalSteps(0).build()).train("latest"));
        assertTrue(e.getMessage().contains("seed 7 vs 8"), e.getMessage());
    }

    @Test
    void anEvaluationScheduleWithoutEvaluatorIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(floatModel(1), pairs(4), MNRL, base(tmp).build()));
        assertEquals("eval_steps is 4.0 but no evaluator was given; pass one, or set eval_strategy: no", e.getMessage());
    }

    // ------------------------------------------------------------------ failure

    @Test
    void nonFiniteLossStopsBeforeTheUpdateAndKeepsTheLastCheckpoint() throws Exception {
        Dataset d = pairs(14);
        Path out = tmp.resolve("nan");
        LinearToyModel m = floatModel(1);
        m.nanAtCall = 4;                                            // accumulation 1: call 4 is step 5 (5 steps per epoch)
        TrainingArguments args = base(out).gradientAccumulationSteps(1).saveSteps(2).loggingSteps(1).build();
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                () -> new Trainer(m, d, MNRL, args, meanCosine(d), null).train());
        assertEquals(5, e.step());
        assertTrue(e.getMessage().startsWith("non-finite loss NaN at step 5 (epoch 0, micro-batch 4)")
                && e.getMessage().contains("Resume from " + out.resolve("checkpoint-4") + " (--resume)"), e.getMessage());
        // the parameters are step 4's, which checkpoint-4 holds intact; nothing of step 5 was written
        assertSameFloats(floats(Checkpoints.load(out.resolve("checkpoint-4")).parameters()), m.floats());
        assertEquals(out.resolve("checkpoint-4"), Checkpoints.latest(out));
        assertFalse(Files.exists(out.resolve("checkpoint-5.tmp")));
        assertFalse(Files.exists(out.resolve("final")));
        List<String> l = lines(out);
        assertEquals(4, JSON.readTree(l.get(l.size() - 1)).get("step").intValue());
    }

    // ------------------------------------------------------------------ best model

    @Test
    void loadBestModelAtEndRestoresTheBestCheckpointWhichRotationKeeps() throws Exception {
        Dataset d = pairs(14);
        Path out = tmp.resolve("best");
        double[] scores = {0.1, 0.9, 0.3, 0.2, 0.25, 0.2};             // evaluations at steps 2, 4, …, 12
        AtomicInteger calls = new AtomicInteger();
        Evaluator<ToyResult> scripted = encoder -> new ToyResult(Map.of("score", scores[calls.getAndIncrement()]));
        TrainingArguments args = base(out).evalSteps(2).saveSteps(2).saveTotalLimit(2).loadBestModelAtEnd(true).build();
        LinearToyModel m = floatModel(1);
        TrainResult r = new Trainer(m, d, MNRL, args, scripted, null).train();

        assertEquals(List.of(out.resolve("checkpoint-4"), out.resolve("checkpoint-12")), Checkpoints.sorted(out));
        assertEquals(out.resolve("checkpoint-4"), r.bestCheckpoint());
        assertEquals(0.9, r.bestMetric());
        Map<String, float[]> best = floats(Checkpoints.load(out.resolve("checkpoint-4")).parameters());
        assertSameFloats(best, m.floats());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("final/adapter_model.safetensors"))) {
            assertArrayEquals(best.get("lora_A"), f.getFloats("lora_A"), 0f);
        }
        assertEquals("checkpoint-4", Checkpoints.load(out.resolve("checkpoint-12")).state().bestCheckpoint());
    }

    // ------------------------------------------------------------------ what gets logged and called

    @Test
    void metricsLogHoldsHuggingFacesLines() throws Exception {
        Dataset d = pairs(14);
        Path out = tmp.resolve("log");
        List<StepOutcome> steps = new ArrayList<>();
        TrainerListener record = new TrainerListener() {
            @Override
            public void onStepEnd(StepOutcome s) {
                steps.add(s);
            }
        };
        TrainingArguments args = base(out).build();
        new Trainer(floatModel(1), d, MNRL, args, meanCosine(d), record).train();
        LearningRateSchedule schedule = new LearningRateSchedule(SchedulerType.LINEAR, 0.05, 2, 12);

        List<JsonNode> l = new ArrayList<>();
        for (String s : lines(out)) {
            l.add(JSON.readTree(s));
        }
        // train lines every 3 steps, eval lines every 4, in HF's order (log before evaluate), then the summary
        List<String> kinds = l.stream().map(n -> n.get("step").intValue() + (n.has("loss") ? "t" : n.has("eval_score") ? "e" : "s"))
                .toList();
        assertEquals(List.of("3t", "4e", "6t", "8e", "9t", "12t", "12e", "12s"), kinds);
        int last = 0;
        for (JsonNode n : l) {
            if (!n.has("loss")) {
                continue;
            }
            int step = n.get("step").intValue();
            assertEquals(List.of("step", "epoch", "loss", "learning_rate", "grad_norm"), fieldNames(n));
            double sum = 0;
            for (int s = last + 1; s <= step; s++) {
                sum += steps.get(s - 1).loss();
            }
            assertEquals(sum / (step - last), n.get("loss").doubleValue(), 0.0);
            assertEquals(schedule.learningRate(step), n.get("learning_rate").doubleValue(), 0.0);  // HF: the next step's rate
            assertEquals(steps.get(step - 1).gradNorm(), n.get("grad_norm").doubleValue(), 0.0);
            assertEquals(steps.get(step - 1).epoch(), n.get("epoch").doubleValue(), 0.0);
            last = step;
        }
        assertEquals(1.0, l.get(0).get("epoch").doubleValue());     // step 3 ends epoch 0 (5 of 5 micro-batches)
        assertEquals(1.4, l.get(1).get("epoch").doubleValue());     // step 4: epoch 1, 2 of 5 micro-batches
        assertEquals(0.0, steps.get(0).learningRate());             // warm-up starts at 0, as in HF
        JsonNode summary = l.get(l.size() - 1);
        assertTrue(summary.get("train_runtime").doubleValue() > 0);
        assertTrue(summary.get("train_steps_per_second").doubleValue() > 0);
        double mean = steps.stream().mapToDouble(StepOutcome::loss).average().orElseThrow();
        assertEquals(mean, summary.get("train_loss").doubleValue(), 1e-12);
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void eachMicroBatchIsOneCallWithScaledLossAndItsOwnDropoutSeed() throws Exception {
        Dataset d = pairs(14);
        LinearToyModel m = floatModel(1);
        new Trainer(m, d, MNRL, base(tmp.resolve("calls")).saveSteps(0).evalSteps(0).build()).train();
        assertEquals(20, m.calls.size());                           // 4 epochs × 5 micro-batches
        Set<Long> seeds = new HashSet<>();
        int[] stepOfCall = {0, 0, 1, 1, 2};                        // steps within an epoch: (0,1), (2,3), (4)
        for (int i = 0; i < 20; i++) {
            double[] call = m.calls.get(i);
            int epoch = i / 5;
            int inEpoch = i % 5;
            assertEquals(0.5, call[0]);                             // 1 / gradient_accumulation_steps
            long expected = Trainer.dropoutSeed(7, epoch * 3 + stepOfCall[inEpoch], inEpoch % 2);
            assertEquals((double) expected, call[1]);
            assertEquals(inEpoch == 4 ? 2 : 3, (int) call[2]);
            seeds.add(expected);
        }
        assertEquals(20, seeds.size());
        assertNotEquals(Trainer.dropoutSeed(7, 0, 1), Trainer.dropoutSeed(7, 1, 0));
    }

    @Test
    void labelsReachTheLossInBatchOrder() throws Exception {
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ex.add(new Example(List.of("a" + i, "b" + i), (double) i / 10, null));
        }
        Dataset d = new Dataset("scored", ExampleFormat.PAIR_SCORE, ex);
        List<double[]> seen = new ArrayList<>();
        EmbeddingLoss capture = batch -> {
            seen.add(batch.labels().castTo(DataType.DOUBLE).toDoubleVector());
            return MNRL.compute(batch.withColumns(batch.columns()));
        };
        TrainingArguments args = TrainingArguments.builder(tmp).maxSteps(1).perDeviceTrainBatchSize(3).seed(5).saveSteps(0)
                .disableTqdm(true).build();
        new Trainer(floatModel(1), d, capture, args).train();
        int[] batch = new ShuffledBatchSampler(6, 3, 5, false).batches(0).get(0);
        double[] expected = new double[3];
        for (int i = 0; i < 3; i++) {
            expected[i] = batch[i] / 10.0;
        }
        assertArrayEquals(expected, seen.get(0), 1e-7);            // labels travel as float32 in a FLOAT model
    }
}
