package dev.embedtune.bench;

import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.TrainingEncoder;
import dev.embedtune.model.training.TrainablePooling;
import dev.embedtune.train.loss.EmbeddingBatch;
import dev.embedtune.train.loss.LossValue;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Memory of LoRA against QLoRA training, one configuration per JVM so that peaks do not mix:
 * resident bytes per base parameter of the linear weights, and the process's peak resident memory
 * (VmRSS sampled every 20 ms) while training steps of P anchors + P positives × 128 tokens run
 * (MNRL, LoRA r=16 on every linear, plain SGD update on the adapters). bge-base and ModernBERT-base
 * are randomly initialised at their shapes.
 *
 * <pre>java … dev.embedtune.bench.TrainingMemory minilm|bge-base|modernbert-base none|nf4 [steps [pairs]]</pre>
 * Prints one JSON line.
 */
public final class TrainingMemory {
    private TrainingMemory() {
    }

    public static void main(String[] args) throws Exception {
        String model = args[0], quant = args[1];
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        ModelConfig config;
        Map<String, INDArray> weights;
        if (model.equals("minilm")) {
            Path dir = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
            ModelDirectory md = ModelDirectory.read(dir);
            config = md.bertConfig();
            try (TensorSource w = md.openWeights()) {
                weights = BertEncoder.readWeights(md.bertConfig(), w, dir);
            }
        } else if (model.equals("bge-base")) {
            config = new BertConfig(30522, 768, 12, 12, 3072, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12, 0);
            weights = randomWeights(config);
        } else if (model.equals("modernbert-base")) {
            // ModernBERT-base's config.json: 22 layers, hidden 768, GeGLU 1152, 12 heads, window 128
            config = new ModernBertConfig(50368, 768, 1152, 22, 12, "gelu", 8192, 0.02, 1e-5, false, 50283, 50282,
                    50281, 50281, 50282, 160000, false, 0, 3, 128, 10000, 0, false, 0);
            weights = randomWeights(config);
        } else {
            throw new IllegalArgumentException("model must be minilm, bge-base or modernbert-base, got " + model);
        }
        LoraModel lora = LoraModel.init(config, new LoraConfig(16, 32, 0, List.of(LoraConfig.ALL_LINEAR), false), 42);
        TrainingEncoder encoder = TrainingEncoder.create(config, weights, lora, BaseQuantization.parse(quant), DataType.FLOAT);
        weights = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        long rssAfterLoad = rssKb();
        long[] peak = {rssAfterLoad};
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak[0] = Math.max(peak[0], rssKb());
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        TrainablePooling pooling = new TrainablePooling(PoolingConfig.of(PoolingConfig.Mode.MEAN, config.hiddenSize()), true);
        Random random = new Random(7);
        int[][][] anchors = tokens(random, config, pairs), positives = tokens(random, config, pairs);
        long start = System.nanoTime();
        TrainingEncoder.Pass a = null, p = null;
        double[] stepSeconds = new double[steps];
        for (int s = 0; s < steps; s++) {
            long stepStart = System.nanoTime();
            encoder.zeroGradients();
            a = encoder.forward(anchors[0], anchors[1], anchors[2], a);
            p = encoder.forward(positives[0], positives[1], positives[2], p);
            TrainablePooling.Saved sa = new TrainablePooling.Saved(), sp = new TrainablePooling.Saved();
            LossValue loss = new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(
                    pooling.forward(a.hidden(), a.keyMask(), sa), pooling.forward(p.hidden(), p.keyMask(), sp)));
            encoder.backward(a, pooling.backward(loss.gradient(0), sa));
            encoder.backward(p, pooling.backward(loss.gradient(1), sp));
            encoder.parameters().forEach((name, value) -> value.subi(encoder.gradients().get(name).mul(1e-4)));
            stepSeconds[s] = (System.nanoTime() - stepStart) / 1e9;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        sampler.interrupt();
        sampler.join();
        peak[0] = Math.max(peak[0], rssKb());
        System.out.printf(java.util.Locale.ROOT,
                "{\"model\":\"%s\",\"quantization\":\"%s\",\"pairs\":%d,\"base_linear_parameters\":%d,\"base_linear_bytes\":%d,"
                        + "\"bytes_per_base_parameter\":%.4f,\"scratch_bytes\":%d,\"rss_after_load_mb\":%.0f,"
                        + "\"peak_rss_training_mb\":%.0f,\"steps\":%d,\"seconds_per_step\":%.2f,\"step_seconds\":%s}%n",
                model, quant, pairs, encoder.baseLinearParameters(), encoder.baseLinearBytes(),
                encoder.baseLinearBytes() / (double) encoder.baseLinearParameters(), encoder.scratchBytes(),
                rssAfterLoad / 1024.0, peak[0] / 1024.0, steps, seconds / steps,
                java.util.Arrays.toString(java.util.Arrays.stream(stepSeconds).map(x -> Math.round(x * 100) / 100.0).toArray()));
    }

    /** Normal(0, 0.02) weights, norms' γ around 1. */
    private static Map<String, INDArray> randomWeights(ModelConfig config) {
        Map<String, INDArray> weights = new HashMap<>();
        Nd4j.getRandom().setSeed(1);
        EncoderWeights.shapes(config).forEach((name, shape) -> {
            INDArray v = Nd4j.randn(DataType.FLOAT, shape).muli(0.02);
            boolean gamma = EncoderWeights.isNorm(name.substring(0, name.lastIndexOf('.'))) && name.endsWith(".weight");
            weights.put(name, gamma ? v.addi(1) : v);
        });
        return weights;
    }

    private static int[][][] tokens(Random random, ModelConfig config, int b) {
        int t = 128;
        int[][] ids = new int[b][t], mask = new int[b][t], types = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                ids[i][j] = j == 0 ? 101 : 1000 + random.nextInt(config.vocabSize() - 1000);
                mask[i][j] = 1;
            }
        }
        return new int[][][] {ids, mask, types};
    }

    private static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
