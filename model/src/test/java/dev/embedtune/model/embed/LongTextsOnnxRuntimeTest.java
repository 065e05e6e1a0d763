package dev.embedtune.model.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.LongPassages;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.TrainingEncoder;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * BERT inference at its full 512 positions (issue 18), on real long FOLDOC passages: the
 * last_hidden_state of the layer-by-layer forward ({@link LayerwiseEncoder}, what {@link Embedder}
 * runs) equals ONNX Runtime's on the original ONNX export at every real token of a padded batch of
 * 512, 300 and a few tokens; the training encoder's pass (eval mode) gives the same bits as the
 * inference pass; and each text alone (unpadded) gives the bits it gets in the padded batch.
 */
class LongTextsOnnxRuntimeTest {

    /** bge-small-en-v1.5: a BERT whose own max_seq_length is 512 (all-MiniLM-L6-v2 stops at 256). */
    @Test
    void lastHiddenStateAt512TokensEqualsOnnxRuntimes() throws Exception {
        BuiltinModel model = BuiltinModel.BGE_SMALL_EN_V15;
        List<String> passages = LongPassages.longest(2);
        Path dir = ModelCache.builtin(model);
        ModelDirectory md = ModelDirectory.read(dir);
        assertEquals(512, md.config().maxPositionEmbeddings());
        Tokenizer tok = Tokenizer.fromFile(dir.resolve("tokenizer.json")).withTruncation(Truncation.of(512))
                .withPadding(Padding.longest());
        // 512 tokens (a passage of thousands, truncated), about 300 (a passage cut short), and a query
        List<String> texts = List.of(passages.get(0), passages.get(1).substring(0, 1400), "what is a kludge");
        BatchEncoding b = tok.encodeBatch(texts);
        int[] lengths = new int[texts.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = java.util.Arrays.stream(b.attentionMask()[i]).sum();
        }
        assertEquals(512, lengths[0]);
        assertTrue(lengths[1] > 200 && lengths[1] < 512, "a middle length: " + lengths[1]);

        Map<String, INDArray> weights;
        try (TensorSource source = md.openWeights()) {
            weights = EncoderWeights.read(md.config(), source, md.transformerDir());
        }
        LayerwiseEncoder layerwise = new LayerwiseEncoder(md.config(), weights, BaseQuantization.NONE);
        INDArray ours = layerwise.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds());          // [B, T, H]
        float[][][] reference;
        try (OnnxRuntimeReference ort = new OnnxRuntimeReference(model)) {
            reference = ort.lastHiddenState(b.inputIds(), b.attentionMask(), b.tokenTypeIds());
        }
        double max = 0, scale = 0;
        for (int i = 0; i < lengths.length; i++) {
            for (int t = 0; t < lengths[i]; t++) {
                for (int h = 0; h < reference[i][t].length; h++) {
                    max = Math.max(max, Math.abs(reference[i][t][h] - ours.getDouble(i, t, h)));
                    scale = Math.max(scale, Math.abs(reference[i][t][h]));
                }
            }
        }
        System.out.printf("%s at 512 tokens: max |ours − ORT| of last_hidden_state = %.3g (values up to %.2f)%n", model,
                max, scale);
        // float32 on both sides, the same ops in other orders over 512 keys and 12 layers of LayerNorm:
        // 1e-4 absolute on hidden states of magnitude up to about 10 (1e-5 relative)
        assertTrue(max <= 1e-4, model + ": max |ours − ORT| " + max);

        // the training encoder's pass, eval mode: the inference pass's bits
        TrainingEncoder training = TrainingEncoder.create(md.config(), weights, null, BaseQuantization.NONE, DataType.FLOAT);
        TrainingEncoder.Pass pass = training.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds(), null);
        assertEquals(ours.reshape(pass.batch() * pass.tokens(), -1), pass.hidden(), "training pass against inference pass");
        pass.close();

        // unpadded against padded: each text alone, at its own length
        for (int i = 0; i < lengths.length; i++) {
            int n = lengths[i];
            int[][] ids = {java.util.Arrays.copyOf(b.inputIds()[i], n)}, mask = {java.util.Arrays.copyOf(b.attentionMask()[i], n)},
                    types = {java.util.Arrays.copyOf(b.tokenTypeIds()[i], n)};
            INDArray alone = layerwise.forward(ids, mask, types).get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray inBatch = ours.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, n), NDArrayIndex.all());
            assertArrayEquals(inBatch.dup().data().asFloat(), alone.dup().data().asFloat(),
                    model + ": text " + i + " (" + n + " tokens) alone against in the padded batch");
        }
    }
}
