package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.loss.CachedMultipleNegativesRankingLoss;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.MatryoshkaLoss;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CachedMultipleNegativesRankingLoss trains the GradCache way in {@link LoraTrainingModel}: the same
 * loss and adapter gradients as MNRL on the same batch (7 triplets of texts of different lengths,
 * mini-batches of 2, so slices are uneven), with activations kept for 2 rows at most. Both models
 * start from the same adapters with B made non-zero, so A's gradients are tested too. With dropout
 * (the tiny model's hidden and attention dropout 0.1, LoRA dropout 0.1) the two steps get the same
 * seed: masks are drawn per row, so GradCache's mini-batches draw the masks the plain step draws.
 * Tolerances: loss 1e-6 relative; gradients 1e-5 of the largest gradient (float32; the mini-batch
 * forward pads differently, which reorders some float sums).
 */
class GradCacheTest {
    private static final List<List<String>> COLUMNS = List.of(
            List.of("kludge", "hacker", "bogus", "cruft", "foo bar", "the wheel of reincarnation", "grok"),
            List.of("a clever trick that solves a nasty case in an expedient, if not clear, manner",
                    "a person who enjoys exploring the details of programmable systems",
                    "non-functional; useless; false", "excess code that does nothing useful",
                    "sample names for absolutely anything", "a cycle in the design of display hardware over the years",
                    "to understand something so well that it is absorbed into oneself"),
            List.of("a small computer", "a big mainframe", "the network", "a bug in the program",
                    "something broken", "an old joke", "a kind of editor"));

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void cachedStepEqualsThePlainMnrlStep(boolean matryoshka, boolean dropout) throws IOException {
        Path model = TinyModelDir.write(dir.resolve("model"), 5);
        LoraConfig lora = new LoraConfig(4, 8, dropout ? 0.1 : 0, List.of("query", "key", "value", "dense"), false);
        LoraTrainingModel plain = LoraTrainingModel.create(model, lora, BaseQuantization.NF4, 32, 9, dropout);
        LoraTrainingModel cached = LoraTrainingModel.create(model, lora, BaseQuantization.NF4, 32, 9, dropout);
        Nd4j.getRandom().setSeed(17);
        plain.parameters().forEach((name, value) -> {
            if (name.endsWith("lora_B.weight")) {
                value.assign(Nd4j.randn(DataType.FLOAT, value.shape()).muli(0.1));
            }
            cached.parameters().get(name).assign(value);
        });
        EmbeddingLoss mnrl = new MultipleNegativesRankingLoss(20), cachedLoss = new CachedMultipleNegativesRankingLoss(20, 2);
        if (matryoshka) {
            mnrl = new MatryoshkaLoss(mnrl, TinyModelDir.HIDDEN, TinyModelDir.HIDDEN, 16, 8);
            cachedLoss = new MatryoshkaLoss(cachedLoss, TinyModelDir.HIDDEN, TinyModelDir.HIDDEN, 16, 8);
        }
        plain.zeroGradients();
        cached.zeroGradients();
        double expected = plain.forwardBackward(COLUMNS, null, mnrl, 1.0, 77);
        double actual = cached.forwardBackward(COLUMNS, null, cachedLoss, 1.0, 77);
        assertEquals(expected, actual, 1e-6 * Math.abs(expected), "loss");
        double otherSeed = plain.forwardBackward(COLUMNS, null, mnrl, 1.0, 78);
        plain.zeroGradients();
        plain.forwardBackward(COLUMNS, null, mnrl, 1.0, 77);
        if (dropout) {
            assertTrue(Math.abs(otherSeed - expected) > 1e-4 * Math.abs(expected), "dropout must change the loss: " + otherSeed);
        } else {
            // float32 sums (MatryoshkaLoss's truncations among them) may round differently from call to call
            assertEquals(expected, otherSeed, 1e-6 * Math.abs(expected), "without dropout the seed does not matter");
        }

        double largest = 0;
        for (INDArray g : plain.gradients().values()) {
            largest = Math.max(largest, g.amaxNumber().doubleValue());
        }
        assertTrue(largest > 0, "the plain step must produce gradients");
        for (Map.Entry<String, INDArray> e : plain.gradients().entrySet()) {
            double diff = e.getValue().sub(cached.gradients().get(e.getKey())).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-5 * largest, e.getKey() + ": max |difference| " + diff + " (largest gradient " + largest + ")");
        }
        assertTrue(cached.largestPassRows() <= 2, "GradCache keeps activations of one mini-batch (2 rows) at most");
        assertEquals(7, plain.largestPassRows());
    }
}
