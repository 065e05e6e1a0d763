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
 * (VmRSS sampled every 20 ms) while training steps of P anchors + P positives × T tokens run
 * (MNRL, LoRA r=16 on every linear, plain SGD update on the adapters, eval-mode forwards). bge-base
 * and ModernBERT-base are randomly initialised at their shapes.
 *
 * <pre>java … dev.embedtune.bench.TrainingMemory minilm|bge-base|modernbert-base none|nf4 [steps [pairs]]
 *     [--tokens T] [--checkpointing | --interleave] [--mini-batch M]</pre>
 * {@code --tokens} sets T (default 128); {@code --checkpointing} trains with gradient checkpointing;
 * {@code --interleave} alternates steps without and with it in this one JVM (the first of each after
 * a warm-up step of each) and reports the median time of each and their ratio, so that the ratio
 * holds on a loaded machine (its peak RSS holds both modes' activations at once: not a memory figure);
 * {@code --mini-batch M} runs GradCache steps of M-row mini-batches (what a max_memory budget picks
 * when checkpointing alone does not fit).
 * Prints one JSON line.
 */
public final class TrainingMemory {
    private TrainingMemory() {
    }

    public static void main(String[] args) throws Exception {
        dev.embedtune.quant.NativeRuntime.configure();   // before ND4J loads: OpenBLAS's AVX-512 kernels, passive OpenMP
        List<String> positional = new java.util.ArrayList<>();
        int tokens = 128;
        boolean checkpointing = false, interleave = false;
        int miniBatch = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--checkpointing" -> checkpointing = true;
                case "--interleave" -> interleave = true;
                case "--mini-batch" -> miniBatch = Integer.parseInt(args[++i]);
                default -> positional.add(args[i]);
            }
        }
        String model = positional.get(0), quant = positional.get(1);
        int steps = positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 3;
        int pairs = positional.size() > 3 ? Integer.parseInt(positional.get(3)) : 32;
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
        int[][][] anchors = tokens(random, config, pairs, tokens), positives = tokens(random, config, pairs, tokens);
        long start = System.nanoTime();
        // one pair of passes per mode (a pass is bound to its checkpointing setting)
        TrainingEncoder.Pass[][] passes = new TrainingEncoder.Pass[2][2];
        double[] stepSeconds = new double[steps];
        boolean[] stepCheckpointing = new boolean[steps];
        for (int s = 0; s < steps; s++) {
            boolean on = interleave ? s % 2 == 1 : checkpointing;
            encoder.setGradientCheckpointing(on);
            TrainingEncoder.Pass[] pass = passes[on ? 1 : 0];
            long stepStart = System.nanoTime();
            encoder.zeroGradients();
            if (miniBatch > 0) {
                pass[0] = gradCacheStep(encoder, pooling, new int[][][][] {anchors, positives}, miniBatch, pass[0]);
            } else {
                pass[0] = encoder.forward(anchors[0], anchors[1], anchors[2], pass[0]);
                pass[1] = encoder.forward(positives[0], positives[1], positives[2], pass[1]);
                TrainablePooling.Saved sa = new TrainablePooling.Saved(), sp = new TrainablePooling.Saved();
                LossValue loss = new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(
                        pooling.forward(pass[0].hidden(), pass[0].keyMask(), sa), pooling.forward(pass[1].hidden(), pass[1].keyMask(), sp)));
                encoder.backward(pass[0], pooling.backward(loss.gradient(0), sa));
                encoder.backward(pass[1], pooling.backward(loss.gradient(1), sp));
            }
            encoder.parameters().forEach((name, value) -> value.subi(encoder.gradients().get(name).mul(1e-4)));
            stepSeconds[s] = (System.nanoTime() - stepStart) / 1e9;
            stepCheckpointing[s] = on;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        sampler.interrupt();
        sampler.join();
        peak[0] = Math.max(peak[0], rssKb());
        String timing = "";
        if (interleave) {
            // steps 0 and 1 warm each mode up (JIT, first allocation); the rest alternate
            List<Double> plain = new java.util.ArrayList<>(), recomputed = new java.util.ArrayList<>();
            for (int s = 2; s < steps; s++) {
                (stepCheckpointing[s] ? recomputed : plain).add(stepSeconds[s]);
            }
            double a = median(plain), b = median(recomputed);
            timing = String.format(java.util.Locale.ROOT, ",\"median_s_plain\":%.2f,\"median_s_checkpointing\":%.2f,"
                    + "\"checkpointing_time_ratio\":%.3f,\"pairs_of_steps\":%d", a, b, b / a, Math.min(plain.size(), recomputed.size()));
        }
        System.out.printf(java.util.Locale.ROOT,
                "{\"model\":\"%s\",\"quantization\":\"%s\",\"pairs\":%d,\"tokens\":%d,\"checkpointing\":\"%s\",\"grad_cache_mini_batch\":%d,"
                        + "\"base_linear_parameters\":%d,\"base_linear_bytes\":%d,"
                        + "\"bytes_per_base_parameter\":%.4f,\"scratch_bytes\":%d,\"activation_bytes_per_pass\":%d,"
                        + "\"rss_after_load_mb\":%.0f,\"peak_rss_training_mb\":%.0f,\"steps\":%d,\"seconds_per_step\":%.2f,"
                        + "\"step_seconds\":%s%s}%n",
                model, quant, pairs, tokens, interleave ? "interleaved" : checkpointing ? "on" : "off", miniBatch,
                encoder.baseLinearParameters(), encoder.baseLinearBytes(),
                encoder.baseLinearBytes() / (double) encoder.baseLinearParameters(), encoder.scratchBytes(),
                encoder.passBytes(miniBatch > 0 ? miniBatch : pairs, tokens, (long) (miniBatch > 0 ? miniBatch : pairs) * tokens, true),
                rssAfterLoad / 1024.0, peak[0] / 1024.0, steps, seconds / steps,
                java.util.Arrays.toString(java.util.Arrays.stream(stepSeconds).map(x -> Math.round(x * 100) / 100.0).toArray()),
                timing);
    }

    /**
     * A GradCache step (as LoraTrainingModel's under a memory budget): every column embedded a
     * mini-batch at a time in one reused pass, MNRL and its gradient on the full batch, then each
     * mini-batch's forward again with its backward. Activations of one mini-batch only.
     */
    private static TrainingEncoder.Pass gradCacheStep(TrainingEncoder encoder, TrainablePooling pooling, int[][][][] columns,
            int miniBatch, TrainingEncoder.Pass pass) {
        List<INDArray> embeddings = new java.util.ArrayList<>();
        for (int[][][] column : columns) {
            List<INDArray> parts = new java.util.ArrayList<>();
            for (int begin = 0; begin < column[0].length; begin += miniBatch) {
                int[][][] rows = rows(column, begin, Math.min(column[0].length, begin + miniBatch));
                pass = encoder.forward(rows[0], rows[1], rows[2], pass);
                parts.add(pooling.forward(pass.hidden(), pass.keyMask(), new TrainablePooling.Saved()).dup());
            }
            embeddings.add(Nd4j.vstack(parts.toArray(INDArray[]::new)));
        }
        LossValue loss = new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(embeddings.get(0), embeddings.get(1)));
        for (int c = 0; c < columns.length; c++) {
            for (int begin = 0; begin < columns[c][0].length; begin += miniBatch) {
                int end = Math.min(columns[c][0].length, begin + miniBatch);
                int[][][] rows = rows(columns[c], begin, end);
                pass = encoder.forward(rows[0], rows[1], rows[2], pass);
                TrainablePooling.Saved saved = new TrainablePooling.Saved();
                pooling.forward(pass.hidden(), pass.keyMask(), saved);
                INDArray d = loss.gradient(c).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(begin, end),
                        org.nd4j.linalg.indexing.NDArrayIndex.all());
                encoder.backward(pass, pooling.backward(d, saved));
            }
        }
        return pass;
    }

    private static int[][][] rows(int[][][] column, int begin, int end) {
        return new int[][][] {java.util.Arrays.copyOfRange(column[0], begin, end), java.util.Arrays.copyOfRange(column[1], begin, end),
                java.util.Arrays.copyOfRange(column[2], begin, end)};
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
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

    private static int[][][] tokens(Random random, ModelConfig config, int b, int t) {
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
