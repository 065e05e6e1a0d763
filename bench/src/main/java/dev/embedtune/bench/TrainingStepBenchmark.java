package dev.embedtune.bench;

import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.BertTrainingEncoder;
import dev.embedtune.model.training.TrainingEncoder;
import dev.embedtune.model.training.TrainablePooling;
import dev.embedtune.train.loss.EmbeddingBatch;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.LossValue;
import dev.embedtune.train.loss.MatryoshkaLoss;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import dev.embedtune.train.trainer.AdamW;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * One training step on all-MiniLM-L6-v2, the shape the PyTorch peer ({@code bench/python/bert_peer.py
 * --mode train-step}) runs beside it: forward of {@code trainPairs} anchors and as many positives ×
 * {@code trainTokens} tokens (random ids, no padding), mean pooling + normalisation, MNRL (scale
 * 20), backward to the LoRA adapters (r = 16, alpha 32, every linear), and an AdamW update
 * (lr 2e-4, weight decay 0.01). One op = one step; the base is float32 or NF4 (double-quantised,
 * block 64). The Matryoshka variant wraps MNRL in MatryoshkaLoss [384, 256, 128, 64]. The others
 * run the step in eval mode, as the peer (which has no dropout) does; the dropout variant runs it in
 * train mode, as sentence-transformers trains: MiniLM's hidden and attention dropout (0.1) and LoRA
 * dropout 0.1, masks drawn from each step's seed. The sentence-transformers peers run MNRL in Matryoshka
 * in eval mode ({@code st_train_step_eval}) and in train mode ({@code st_train_step_train}, and
 * {@code st_trainer} through SentenceTransformerTrainer), so the Matryoshka variants are their exact
 * counterparts.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class TrainingStepBenchmark {
    @Param("32")
    public int trainPairs;

    @Param("128")
    public int trainTokens;

    private Step fp32, nf4, nf4Matryoshka, nf4Dropout, nf4MatryoshkaDropout, fp32Matryoshka, fp32MatryoshkaDropout;

    /** One model with its optimizer, inputs and saved passes. */
    static final class Step {
        final BertTrainingEncoder encoder;
        final TrainablePooling pooling;
        final EmbeddingLoss loss;
        final AdamW optimizer;
        final int[][][] anchors, positives;
        final boolean dropout;
        BertTrainingEncoder.Pass anchorPass, positivePass;
        long step;

        Step(BertConfig config, Map<String, INDArray> weights, String quantization, EmbeddingLoss loss, int pairs,
                int tokens) {
            this(config, weights, quantization, loss, pairs, tokens, false);
        }

        /** @param dropout train mode: the model's dropout and LoRA dropout 0.1 */
        Step(BertConfig config, Map<String, INDArray> weights, String quantization, EmbeddingLoss loss, int pairs,
                int tokens, boolean dropout) {
            this.dropout = dropout;
            LoraModel lora = LoraModel.init(config,
                    new LoraConfig(16, 32, dropout ? 0.1 : 0, List.of("query", "key", "value", "dense"), false), 42);
            encoder = new BertTrainingEncoder(config, weights, lora, BaseQuantization.parse(quantization), DataType.FLOAT);
            pooling = new TrainablePooling(PoolingConfig.of(PoolingConfig.Mode.MEAN, config.hiddenSize()), true);
            this.loss = loss;
            optimizer = new AdamW(encoder.parameters(), 0.01);
            Random random = new Random(7);
            anchors = randomTokens(random, config, pairs, tokens);
            positives = randomTokens(random, config, pairs, tokens);
        }

        double run() {
            encoder.zeroGradients();
            step++;
            int rows = anchors[0].length;
            anchorPass = encoder.forward(anchors[0], anchors[1], anchors[2], anchorPass,
                    dropout ? TrainingEncoder.rowSeeds(2 * step, 0, rows) : null);
            positivePass = encoder.forward(positives[0], positives[1], positives[2], positivePass,
                    dropout ? TrainingEncoder.rowSeeds(2 * step + 1, 0, rows) : null);
            TrainablePooling.Saved sa = new TrainablePooling.Saved(), sp = new TrainablePooling.Saved();
            LossValue value = loss.compute(EmbeddingBatch.of(pooling.forward(anchorPass.hidden(), anchorPass.keyMask(), sa),
                    pooling.forward(positivePass.hidden(), positivePass.keyMask(), sp)));
            encoder.backward(anchorPass, pooling.backward(value.gradient(0), sa));
            encoder.backward(positivePass, pooling.backward(value.gradient(1), sp));
            optimizer.step(encoder.parameters(), encoder.gradients(), 2e-4);
            return value.loss();
        }
    }

    static int[][][] randomTokens(Random random, BertConfig config, int batch, int tokens) {
        int[][] ids = new int[batch][tokens], mask = new int[batch][tokens], types = new int[batch][tokens];
        for (int i = 0; i < batch; i++) {
            for (int j = 0; j < tokens; j++) {
                ids[i][j] = j == 0 ? 101 : j == tokens - 1 ? 102 : 1000 + random.nextInt(config.vocabSize() - 1000);
                mask[i][j] = 1;
            }
        }
        return new int[][][] {ids, mask, types};
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
        ModelDirectory md = ModelDirectory.read(dir);
        BertConfig config = md.bertConfig();
        Map<String, INDArray> weights;
        try (TensorSource w = md.openWeights()) {
            weights = BertEncoder.readWeights(config, w, dir);
        }
        this.config = config;
        this.weights = weights;
    }

    private BertConfig config;
    private Map<String, INDArray> weights;

    // Each model is built by the first call of its benchmark (a warm-up call), so a fork that runs
    // one benchmark quantises and allocates only what that benchmark needs.

    @Benchmark
    public double training_step_lora_fp32() {
        if (fp32 == null) {
            fp32 = new Step(config, weights, "none", new MultipleNegativesRankingLoss(), trainPairs, trainTokens);
        }
        return fp32.run();
    }

    @Benchmark
    public double training_step_qlora_nf4() {
        if (nf4 == null) {
            nf4 = new Step(config, weights, "nf4", new MultipleNegativesRankingLoss(), trainPairs, trainTokens);
        }
        return nf4.run();
    }

    @Benchmark
    public double training_step_qlora_nf4_dropout() {
        if (nf4Dropout == null) {
            nf4Dropout = new Step(config, weights, "nf4", new MultipleNegativesRankingLoss(), trainPairs, trainTokens, true);
        }
        return nf4Dropout.run();
    }

    @Benchmark
    public double training_step_qlora_nf4_matryoshka() {
        if (nf4Matryoshka == null) {
            int h = config.hiddenSize();
            nf4Matryoshka = new Step(config, weights, "nf4",
                    new MatryoshkaLoss(new MultipleNegativesRankingLoss(), h, h, 256, 128, 64), trainPairs, trainTokens);
        }
        return nf4Matryoshka.run();
    }

    /** Train mode (model dropout and LoRA dropout 0.1) with MNRL in Matryoshka: the train-mode peers' step. */
    @Benchmark
    public double training_step_qlora_nf4_matryoshka_dropout() {
        if (nf4MatryoshkaDropout == null) {
            int h = config.hiddenSize();
            nf4MatryoshkaDropout = new Step(config, weights, "nf4",
                    new MatryoshkaLoss(new MultipleNegativesRankingLoss(), h, h, 256, 128, 64), trainPairs, trainTokens, true);
        }
        return nf4MatryoshkaDropout.run();
    }

    /** Float32 base, MNRL in Matryoshka, eval mode: the eval-mode peer's step over an unquantised base. */
    @Benchmark
    public double training_step_lora_fp32_matryoshka() {
        if (fp32Matryoshka == null) {
            fp32Matryoshka = new Step(config, weights, "none", matryoshka(), trainPairs, trainTokens);
        }
        return fp32Matryoshka.run();
    }

    /** Float32 base, MNRL in Matryoshka, train mode: the train-mode peers' step over an unquantised base. */
    @Benchmark
    public double training_step_lora_fp32_matryoshka_dropout() {
        if (fp32MatryoshkaDropout == null) {
            fp32MatryoshkaDropout = new Step(config, weights, "none", matryoshka(), trainPairs, trainTokens, true);
        }
        return fp32MatryoshkaDropout.run();
    }

    private MatryoshkaLoss matryoshka() {
        int h = config.hiddenSize();
        return new MatryoshkaLoss(new MultipleNegativesRankingLoss(), h, h, 256, 128, 64);
    }
}
