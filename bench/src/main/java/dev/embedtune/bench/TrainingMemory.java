package dev.embedtune.bench;

import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.bert.BertWeights;
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
 * (VmRSS sampled every 20 ms) while training steps of 32 anchors + 32 positives × 128 tokens run
 * (MNRL, LoRA r=16 on every linear, plain SGD update on the adapters).
 *
 * <pre>java … dev.embedtune.bench.TrainingMemory minilm|bge-base none|nf4 [steps]</pre>
 * Prints one JSON line.
 */
public final class TrainingMemory {
    private TrainingMemory() {
    }

    public static void main(String[] args) throws Exception {
        String model = args[0], quant = args[1];
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        BertConfig config;
        Map<String, INDArray> weights;
        if (model.equals("minilm")) {
            Path dir = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
            ModelDirectory md = ModelDirectory.read(dir);
            config = md.bertConfig();
            try (TensorSource w = md.openWeights()) {
                weights = BertEncoder.readWeights(config, w, dir);
            }
        } else if (model.equals("bge-base")) {
            config = new BertConfig(30522, 768, 12, 12, 3072, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12, 0);
            weights = new HashMap<>();
            Nd4j.getRandom().setSeed(1);
            for (String name : BertWeights.names(config)) {
                INDArray v = Nd4j.randn(DataType.FLOAT, BertWeights.shape(config, name)).muli(0.02);
                weights.put(name, name.endsWith("LayerNorm.weight") ? v.addi(1) : v);
            }
        } else {
            throw new IllegalArgumentException("model must be minilm or bge-base, got " + model);
        }
        LoraModel lora = LoraModel.init(config, new LoraConfig(16, 32, 0, List.of("query", "key", "value", "dense"), false), 42);
        BertTrainingEncoder encoder = new BertTrainingEncoder(config, weights, lora, BaseQuantization.parse(quant), DataType.FLOAT);
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
        int[][][] anchors = tokens(random, config), positives = tokens(random, config);
        long start = System.nanoTime();
        BertTrainingEncoder.Pass a = null, p = null;
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
                "{\"model\":\"%s\",\"quantization\":\"%s\",\"base_linear_parameters\":%d,\"base_linear_bytes\":%d,"
                        + "\"bytes_per_base_parameter\":%.4f,\"scratch_bytes\":%d,\"rss_after_load_mb\":%.0f,"
                        + "\"peak_rss_training_mb\":%.0f,\"steps\":%d,\"seconds_per_step\":%.2f,\"step_seconds\":%s}%n",
                model, quant, encoder.baseLinearParameters(), encoder.baseLinearBytes(),
                encoder.baseLinearBytes() / (double) encoder.baseLinearParameters(), encoder.scratchBytes(),
                rssAfterLoad / 1024.0, peak[0] / 1024.0, steps, seconds / steps,
                java.util.Arrays.toString(java.util.Arrays.stream(stepSeconds).map(x -> Math.round(x * 100) / 100.0).toArray()));
    }

    private static int[][][] tokens(Random random, BertConfig config) {
        int b = 32, t = 128;
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
