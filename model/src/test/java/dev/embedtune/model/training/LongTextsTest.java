package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.LongPassages;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Long texts (issue 18): training steps at BERT's full 512 positions and at 2,080 tokens for
 * ModernBERT (sliding-window local layers), on real FOLDOC passages tokenised by all-MiniLM-L6-v2's
 * WordPiece, through tiny random models (hidden 32) so that the test stays fast. With gradient
 * checkpointing the hidden states and every trainable gradient are the same bits as without (train
 * mode: model and LoRA dropout on, NF4 base, padded batches of three lengths, the pass re-used for a
 * second step of other lengths), and the pass keeps less memory. The forward at these lengths is
 * checked against references in {@code embed.LongTextsOnnxRuntimeTest} (BERT, ONNX Runtime) and
 * {@code modernbert.ModernBertLongTextTest} (an independent double-precision ModernBERT).
 */
class LongTextsTest {
    /** BERT at its full 512 positions: 2 layers, hidden 32, 4 heads, MiniLM's vocabulary, dropout 0.1. */
    static final BertConfig BERT_512 = new BertConfig(30522, 32, 2, 4, 64, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12, 0);

    /**
     * ModernBERT for 4,096 positions: 3 layers (0 and 2 global, 1 local with ModernBERT-base's window
     * of 128, |q − k| ≤ 64), hidden 32, 4 heads, GeGLU 48, MiniLM's vocabulary, embedding and MLP
     * dropout 0.1 (attention dropout 0: its masks over 2,080² scores per head would make the test slow,
     * and the BERT case drops attention probabilities already).
     */
    static final ModernBertConfig MODERNBERT_4096 = new ModernBertConfig(30522, 32, 48, 3, 4, "gelu", 4096, 0.02, 1e-5,
            false, 0, 0, 0, 0, 0, 160000, false, 0, 2, 128, 10000, 0.1, false, 0.1);

    @Test
    void bertAt512TokensGradientCheckpointingGivesTheSameBitsInLessMemory() throws IOException {
        checkpointingIsExact(BERT_512, new int[] {512, 377, 40}, new int[] {301, 512});
    }

    @Test
    void modernBertAt2080TokensGradientCheckpointingGivesTheSameBitsInLessMemory() throws IOException {
        checkpointingIsExact(MODERNBERT_4096, new int[] {2080, 600, 97}, new int[] {64, 2050});
    }

    private static void checkpointingIsExact(ModelConfig config, int[] lengths, int[] secondLengths) throws IOException {
        List<String> passages = LongPassages.longest(12);
        Tokenizer tokenizer = miniLmTokenizer();
        int[][][] first = batch(config, tokenizer, passages, lengths, 0);
        int[][][] second = batch(config, tokenizer, passages, secondLengths, 5);
        long[] bytes = new long[2];
        long t0 = System.nanoTime();
        float[] plain = steps(config, first, second, false, bytes, 0);
        long t1 = System.nanoTime();
        float[] checkpointed = steps(config, first, second, true, bytes, 1);
        System.out.printf("%s: plain %.1f s, checkpointed %.1f s%n", config.modelType(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        assertTrue(plain.length > 50_000, "hidden states and every gradient are compared: " + plain.length + " values");
        assertArrayEquals(plain, checkpointed, config.modelType() + ": with gradient checkpointing against without");
        // every layer's activations against each layer's input and one layer's
        assertTrue(bytes[1] < bytes[0], config.modelType() + ": " + bytes[1] + " bytes of activations with"
                + " checkpointing, " + bytes[0] + " without");
    }

    /**
     * Two train-mode steps (dropout seeds per row) in one re-used pass: the hidden states and the
     * gradients of each, as one array; {@code bytes[slot]} receives the pass's activation bytes.
     */
    private static float[] steps(ModelConfig config, int[][][] first, int[][][] second, boolean checkpointing, long[] bytes,
            int slot) {
        Map<String, INDArray> weights = config instanceof BertConfig b ? TinyBert.weights(b, 3)
                : TinyModernBert.weights((ModernBertConfig) config, 3);
        LoraModel base = config instanceof BertConfig b ? TinyBert.lora(b, 4, 5) : TinyModernBert.lora((ModernBertConfig) config, 4, 5);
        LoraModel lora = new LoraModel(new LoraConfig(base.config().r(), base.config().alpha(), 0.1,
                base.config().targetModules(), false), new LinkedHashMap<String, LoraAdapter>(base.adapters()));
        TrainingEncoder encoder = TrainingEncoder.create(config, weights, lora, BaseQuantization.parse("nf4"), DataType.FLOAT,
                true);
        encoder.setGradientCheckpointing(checkpointing);
        List<float[]> out = new ArrayList<>();
        TrainingEncoder.Pass pass = null;
        int step = 0;
        for (int[][][] in : List.of(first, second)) {
            encoder.zeroGradients();
            pass = encoder.forward(in[0], in[1], in[2], pass, TrainingEncoder.rowSeeds(40 + step, 0, in[0].length));
            bytes[slot] = Math.max(bytes[slot], ((EncoderPass) pass).bytes());
            Nd4j.getRandom().setSeed(9 + step);
            INDArray dHidden = Nd4j.randn(DataType.FLOAT, pass.batch() * pass.tokens(), config.hiddenSize());
            out.add(pass.hidden().dup().data().asFloat());
            encoder.backward(pass, dHidden);
            encoder.gradients().values().forEach(g -> out.add(g.dup().data().asFloat()));
            step++;
        }
        pass.close();
        int n = out.stream().mapToInt(f -> f.length).sum(), at = 0;
        float[] all = new float[n];
        for (float[] f : out) {
            System.arraycopy(f, 0, all, at, f.length);
            at += f.length;
        }
        return all;
    }

    /** Ids, mask and token types [B, T] of real text of the given lengths (T the longest), BERT's [CLS] … [SEP] framing. */
    static int[][][] batch(ModelConfig config, Tokenizer tokenizer, List<String> passages, int[] lengths, int firstPassage) {
        int t = java.util.Arrays.stream(lengths).max().orElseThrow();
        int[][] ids = new int[lengths.length][t], mask = new int[lengths.length][t], types = new int[lengths.length][t];
        for (int b = 0; b < lengths.length; b++) {
            int[] words = LongPassages.ids(tokenizer, passages, firstPassage + b, lengths[b] - 2, config.vocabSize());
            ids[b][0] = tokenizer.tokenToId("[CLS]");
            System.arraycopy(words, 0, ids[b], 1, words.length);
            ids[b][lengths[b] - 1] = tokenizer.tokenToId("[SEP]");
            java.util.Arrays.fill(mask[b], 0, lengths[b], 1);
        }
        assertEquals(t, ids[0].length);
        return new int[][][] {ids, mask, types};
    }

    /** all-MiniLM-L6-v2's tokenizer.json from the built-in model's jar (no import needed). */
    static Tokenizer miniLmTokenizer() throws IOException {
        String resource = BuiltinModel.ALL_MINILM_L6_V2.tokenizerResource();
        try (InputStream in = LongTextsTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath (the embedtune-model-all-minilm jar)");
            }
            return Tokenizer.fromStream(in, resource);
        }
    }
}
