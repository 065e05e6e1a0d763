package dev.embedtune.model.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.SharedData;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 4's acceptance test: on 1,000 real texts of mixed lengths, in mixed batches, pooled and
 * normalised embeddings equal ONNX Runtime's (running the original ONNX export, pooled here in
 * double precision by the model's own rule) within 1e-5 max abs; the same text gets the same
 * vector whatever batch it is in.
 */
class EmbedderOnnxRuntimeTest {

    @ParameterizedTest
    @EnumSource(BuiltinModel.class)
    void pooledEmbeddingsEqualOnnxRuntimes(BuiltinModel model) throws Exception {
        List<String> texts = SharedData.mixedTexts("jargon.jsonl", 1000);   // 1,000 texts, 3 to 512+ tokens
        Path dir = ModelCache.builtin(model);
        Embedder embedder = Embedder.load(dir, new Embedder.Options(16, null, null));
        long t0 = System.nanoTime();
        float[][] ours = embedder.encode(texts);
        long t1 = System.nanoTime();

        Tokenizer tok = Tokenizer.fromFile(dir.resolve("tokenizer.json"))
                .withTruncation(Truncation.of(model.maxSeqLength())).withPadding(Padding.longest());
        double maxDiff = 0;
        try (OnnxRuntimeReference ort = new OnnxRuntimeReference(model)) {
            // The reference runs its own batches of 7, by ascending token count: other companions and
            // other padding than ours (16 a batch, longest text first).
            Integer[] order = java.util.stream.IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
            int[] lengths = texts.stream().mapToInt(t -> tok.encode(t).ids().length).toArray();
            java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> lengths[i]));
            for (int start = 0; start < order.length; start += 7) {
                List<String> batch = new ArrayList<>();
                for (int k = start; k < Math.min(order.length, start + 7); k++) {
                    batch.add(texts.get(order[k]));
                }
                BatchEncoding b = tok.encodeBatch(batch);
                float[][][] hidden = ort.lastHiddenState(b.inputIds(), b.attentionMask(), b.tokenTypeIds());
                for (int i = 0; i < batch.size(); i++) {
                    double[] ref = pool(model, hidden[i], b.attentionMask()[i]);
                    float[] mine = ours[order[start + i]];
                    for (int h = 0; h < ref.length; h++) {
                        maxDiff = Math.max(maxDiff, Math.abs(ref[h] - mine[h]));
                    }
                }
            }
        }
        System.out.printf("%s: 1,000 texts, max |ours - ORT| of normalised embeddings = %.3g (ours %.1f s, ORT %.1f s)%n",
                model, maxDiff, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        assertTrue(maxDiff <= 1e-5, model + " max abs difference " + maxDiff);

        // Batch independence: every 10th text alone equals its vector from the batched run.
        List<String> sample = new ArrayList<>();
        for (int i = 0; i < texts.size(); i += 10) {
            sample.add(texts.get(i));
        }
        Embedder single = Embedder.load(dir, new Embedder.Options(1, null, null));
        float[][] alone = single.encode(sample);
        double batchDiff = 0;
        for (int k = 0; k < sample.size(); k++) {
            for (int h = 0; h < alone[k].length; h++) {
                batchDiff = Math.max(batchDiff, Math.abs(alone[k][h] - ours[k * 10][h]));
            }
        }
        assertTrue(batchDiff <= 1e-6, "same text, other batch: " + batchDiff);
        assertEquals(1000, texts.size());
        assertEquals(384, embedder.dimension());
    }

    /** The model's pooling (mean over real tokens, or the [CLS] token), then L2, in double. */
    private static double[] pool(BuiltinModel model, float[][] hidden, int[] mask) {
        int h = hidden[0].length;
        double[] v = new double[h];
        if (model == BuiltinModel.BGE_SMALL_EN_V15) {
            for (int j = 0; j < h; j++) {
                v[j] = hidden[0][j];
            }
        } else {
            int n = 0;
            for (int t = 0; t < mask.length; t++) {
                if (mask[t] == 1) {
                    n++;
                    for (int j = 0; j < h; j++) {
                        v[j] += hidden[t][j];
                    }
                }
            }
            for (int j = 0; j < h; j++) {
                v[j] /= n;
            }
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        for (int j = 0; j < h; j++) {
            v[j] /= norm;
        }
        return v;
    }
}
