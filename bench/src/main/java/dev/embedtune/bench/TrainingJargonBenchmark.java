package dev.embedtune.bench;

import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.train.loss.MatryoshkaLoss;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import dev.embedtune.train.trainer.AdamW;
import dev.embedtune.train.trainer.LoraTrainingModel;
import dev.embedtune.train.trainer.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training steps on real data: the main job's Jargon File batches ({@link JargonTrainingBatches}: 32
 * train pairs + one BM25-mined negative each, no-duplicates batches, seed 42), as {@code embedtune run}
 * trains by default: all-minilm-l6-v2 over an NF4 base, LoRA r 16, alpha 32, dropout 0 on query, key,
 * value and every dense; the model's own dropout on (train mode); MNRL in Matryoshka [384, 256, 128, 64];
 * AdamW lr 2e-4, weight decay 0.01; max length 128, each column padded to its longest text. One op =
 * one step on the next batch (in order, round and round); the batches are tokenised in setup. The
 * auxiliary counter {@code realTokens} is the rate of real (unpadded) tokens; the sentence-transformers
 * peer {@code st_train_jargon} runs the same batches.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class TrainingJargonBenchmark {
    /** Batches used (0 = all of the epoch); quick mode takes a few. */
    @Param("0")
    public int jargonBatches;

    private LoraTrainingModel model;
    private MatryoshkaLoss loss;
    private AdamW optimizer;
    private final List<List<BatchEncoding>> batches = new ArrayList<>();
    private final List<Integer> realTokens = new ArrayList<>();
    private int next;
    private int step;

    /** Real tokens of the steps run, as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Tokens {
        public long realTokens;

        @Setup(Level.Iteration)
        public void reset() {
            realTokens = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        model = LoraTrainingModel.create(ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2),
                new LoraConfig(16, 32, 0, LoraConfig.BERT_DEFAULT_TARGETS, false), BaseQuantization.parse("nf4"), 128,
                JargonTrainingBatches.SEED, true);
        int h = model.baseModel().pooling().outputDimension();
        loss = new MatryoshkaLoss(new MultipleNegativesRankingLoss(), h, h, 256, 128, 64);
        optimizer = new AdamW(model.parameters(), 0.01);
        Tokenizer tokenizer = model.tokenizer();
        List<List<List<String>>> all = JargonTrainingBatches.build();
        int n = jargonBatches > 0 ? Math.min(jargonBatches, all.size()) : all.size();
        for (List<List<String>> columns : all.subList(0, n)) {
            List<BatchEncoding> encoded = new ArrayList<>();
            int real = 0;
            for (List<String> column : columns) {
                BatchEncoding b = tokenizer.encodeBatch(column);
                encoded.add(b);
                for (int[] row : b.attentionMask()) {
                    for (int m : row) {
                        real += m;
                    }
                }
            }
            batches.add(encoded);
            realTokens.add(real);
        }
    }

    @Benchmark
    public double training_step_jargon_qlora_nf4(Tokens tokens) {
        int i = next;
        next = (next + 1) % batches.size();
        step++;
        model.zeroGradients();
        double value = model.forwardBackwardEncoded(batches.get(i), null, loss, 1.0,
                Trainer.dropoutSeed(JargonTrainingBatches.SEED, step, 0));
        optimizer.step(model.parameters(), model.gradients(), 2e-4);
        tokens.realTokens += realTokens.get(i);
        return value;
    }
}
