package dev.embedtune.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.loss.CachedMultipleNegativesRankingLoss;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.MatryoshkaLoss;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import dev.embedtune.train.trainer.LoraTrainingModel;
import dev.embedtune.train.trainer.StepOutcome;
import dev.embedtune.train.trainer.TinyModelDir;
import dev.embedtune.train.trainer.TrainableModel;
import dev.embedtune.train.trainer.Trainer;
import dev.embedtune.train.trainer.TrainerListener;
import dev.embedtune.train.trainer.TrainingArguments;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Data-parallel training with exact in-batch negatives against the single-process trainer: the same
 * Trainer, seed, data and settings (NF4 base, LoRA r 4 with dropout 0.1, the model's own dropout 0.1,
 * MNRL inside MatryoshkaLoss, global batch 32, lr 1e-2 so that the adapters move, 3 steps), the step
 * run on the executors of local[2] over 2 and over 4 partitions. Tolerances: adapter tensors 1e-5
 * absolute, step losses 1e-6 relative (float32; the partitions' gradients are summed in another order
 * than one GEMM sums the rows). A task failing once and a resumed application leave the adapters
 * bit-identical to the run without them.
 */
class DistributedTrainingTest {

    @TempDir
    static Path dir;
    static TrainingSpec spec;
    static Dataset data;

    @BeforeAll
    static void setUp() throws IOException {
        Path model = TinyModelDir.write(dir.resolve("model"), 5);
        LoraConfig lora = new LoraConfig(4, 8, 0.1, List.of("query", "key", "value", "dense"), false);
        spec = TrainingSpec.of(model, lora, BaseQuantization.NF4, 32, true, 42);
        List<Example> examples = new ArrayList<>();
        for (String[] p : TinyModelDir.pairs(96)) {
            examples.add(Example.pair(p[0], p[1]));
        }
        data = new Dataset("pairs", ExampleFormat.PAIR, examples);
    }

    private static TrainingArguments args(Path out, int steps, double saveSteps) {
        return TrainingArguments.builder(out).maxSteps(steps).perDeviceTrainBatchSize(32).learningRate(1e-2)
                .warmupSteps(1).loggingSteps(1).saveSteps(saveSteps).seed(42).disableTqdm(true).build();
    }

    private static EmbeddingLoss matryoshka(EmbeddingLoss inner) {
        return new MatryoshkaLoss(inner, TinyModelDir.HIDDEN, TinyModelDir.HIDDEN, 16, 8);
    }

    /** Trains and returns the step losses; the model's parameters hold the result. */
    private static List<Double> train(TrainableModel model, EmbeddingLoss loss, TrainingArguments args, String resume,
            TrainerListener extra) throws IOException {
        List<Double> losses = new ArrayList<>();
        new Trainer(model, data, loss, args, null, new TrainerListener() {
            @Override
            public void onStepEnd(StepOutcome s) {
                losses.add(s.loss());
                if (extra != null) {
                    extra.onStepEnd(s);
                }
            }
        }).train(resume);
        return losses;
    }

    private static double maxDiff(Map<String, INDArray> a, Map<String, INDArray> b) {
        assertEquals(a.keySet(), b.keySet());
        double d = 0;
        for (String k : a.keySet()) {
            d = Math.max(d, a.get(k).sub(b.get(k)).amaxNumber().doubleValue());
        }
        return d;
    }

    @Test
    void stepsOnTwoAndFourPartitionsEqualTheSingleProcessRun() throws IOException {
        LoraTrainingModel local = spec.create();
        List<Double> expected = train(local, matryoshka(new MultipleNegativesRankingLoss()), args(dir.resolve("local"), 3, 0),
                null, null);
        for (int partitions : new int[] {2, 4}) {
            try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, partitions, 8)) {
                List<Double> actual = train(model, matryoshka(new MultipleNegativesRankingLoss()),
                        args(dir.resolve("spark" + partitions), 3, 0), null, null);
                assertEquals(expected.size(), actual.size());
                for (int i = 0; i < expected.size(); i++) {
                    assertEquals(expected.get(i), actual.get(i), 1e-6 * Math.abs(expected.get(i)),
                            partitions + " partitions, step " + (i + 1) + ": " + actual + " vs " + expected);
                }
                double d = maxDiff(local.parameters(), model.parameters());
                assertTrue(d <= 1e-5, partitions + " partitions: adapters differ by " + d);
                assertTrue(model.lastTraffic().gradientsToDriver() > 0);
            }
        }
        assertTrue(expected.get(2) != expected.get(0), "training moved: " + expected);
    }

    @Test
    void cachedMnrlOnTwoPartitionsEqualsTheSingleProcessRun() throws IOException {
        LoraTrainingModel local = spec.create();
        EmbeddingLoss loss = new CachedMultipleNegativesRankingLoss(20, 4);
        List<Double> expected = train(local, loss, args(dir.resolve("cached-local"), 2, 0), null, null);
        try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, 2, 8)) {
            List<Double> actual = train(model, loss, args(dir.resolve("cached-spark"), 2, 0), null, null);
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i), actual.get(i), 1e-6 * Math.abs(expected.get(i)));
            }
            double d = maxDiff(local.parameters(), model.parameters());
            assertTrue(d <= 1e-5, "adapters differ by " + d);
        }
    }

    @Test
    void aFailedTaskIsRetriedAndLeavesTheSameAdapters() throws IOException {
        Map<String, INDArray> clean;
        try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, 4, 2)) {
            train(model, new MultipleNegativesRankingLoss(), args(dir.resolve("clean"), 2, 0), null, null);
            clean = copy(model.parameters());
        }
        try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, 4, 2)) {
            model.injectFault(new DistributedTrainingModel.InjectedFault("backward", 1, 3));
            train(model, new MultipleNegativesRankingLoss(), args(dir.resolve("faulty"), 2, 0), null, null);
            assertEquals(0.0, maxDiff(clean, model.parameters()), "bit-identical after a retried backward task");
        }
        try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, 4, 2)) {
            model.injectFault(new DistributedTrainingModel.InjectedFault("embed", 0, 0));
            train(model, new MultipleNegativesRankingLoss(), args(dir.resolve("faulty-embed"), 2, 0), null, null);
            assertEquals(0.0, maxDiff(clean, model.parameters()), "bit-identical after a retried embed task");
        }
    }

    @Test
    void aKilledApplicationResumesBitIdentically() throws IOException {
        Map<String, INDArray> uninterrupted;
        List<Double> all;
        try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, 2, 8)) {
            all = train(model, new MultipleNegativesRankingLoss(), args(dir.resolve("whole"), 3, 1), null, null);
            uninterrupted = copy(model.parameters());
        }
        Path out = dir.resolve("killed");
        try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, 2, 8)) {
            assertThrows(IllegalStateException.class, () -> train(model, new MultipleNegativesRankingLoss(), args(out, 3, 1),
                    null, new TrainerListener() {
                        @Override
                        public void onStepEnd(StepOutcome s) {
                            if (s.step() == 2) {
                                throw new IllegalStateException("killed after step 2, before its checkpoint");
                            }
                        }
                    }));
        }
        ExecutorModels.clear();   // a new application: fresh executors, a fresh driver model
        try (DistributedTrainingModel model = new DistributedTrainingModel(SparkTestSession.context(), spec, 2, 8)) {
            List<Double> resumed = train(model, new MultipleNegativesRankingLoss(), args(out, 3, 1), "latest", null);
            assertEquals(all.subList(1, 3), resumed, "steps 2 and 3 again, same losses");
            for (String k : uninterrupted.keySet()) {
                assertArrayEquals(uninterrupted.get(k).data().asFloat(), model.parameters().get(k).dup().data().asFloat(), k);
            }
        }
    }

    private static Map<String, INDArray> copy(Map<String, INDArray> params) {
        Map<String, INDArray> out = new java.util.LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }
}
