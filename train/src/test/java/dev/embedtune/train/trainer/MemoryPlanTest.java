package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.TrainingEncoder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory budget's choices on a tiny BERT, with the memory in use before training fixed at 0 so
 * that the thresholds are exact: the encoder's own activation sizes decide between keeping every
 * layer, gradient checkpointing and GradCache mini-batches, and a budget below one sequence is
 * refused with the numbers.
 */
class MemoryPlanTest {

    @Test
    void theBudgetPicksTheCheapestPlanThatFits(@TempDir Path tmp) throws Exception {
        LoraTrainingModel model = LoraTrainingModel.create(TinyModelDir.write(tmp.resolve("m"), 1),
                new LoraConfig(4, 8, 0, List.of("all-linear"), false), BaseQuantization.NONE, 32, 1, true);
        TrainingEncoder encoder = model.trainingEncoder();
        int batch = 8, tokens = 32, columns = 2;
        long full = columns * encoder.passBytes(batch, tokens, batch * tokens, true);
        encoder.setGradientCheckpointing(true);
        long checkpointed = columns * encoder.passBytes(batch, tokens, batch * tokens, true);
        long half = encoder.passBytes(batch / 2, tokens, batch / 2 * tokens, true);
        long one = encoder.passBytes(1, tokens, tokens, true);
        encoder.setGradientCheckpointing(false);
        assertTrue(checkpointed < full && half < checkpointed && one < half, "sizes fall with each measure");

        MemoryPlan plenty = MemoryPlan.choose(encoder, batch, tokens, columns, full, 0);
        assertFalse(plenty.checkpointing());
        assertEquals(0, plenty.miniBatch());
        assertFalse(encoder.checkpointing(), "a budget that fits leaves the encoder as it is");

        MemoryPlan tight = MemoryPlan.choose(encoder, batch, tokens, columns, full - 1, 0);
        assertTrue(tight.checkpointing() && encoder.checkpointing());
        assertEquals(0, tight.miniBatch());
        assertEquals(checkpointed, tight.activationBytes());

        MemoryPlan tighter = MemoryPlan.choose(encoder, batch, tokens, columns, checkpointed - 1, 0);
        assertEquals(batch / 2, tighter.miniBatch(), "mini-batches of half the batch: one pass at a time");
        assertTrue(tighter.summary().contains("GradCache mini-batches of 4"), tighter.summary());

        MemoryPlan single = MemoryPlan.choose(encoder, batch, tokens, columns, one, 0);
        assertEquals(1, single.miniBatch());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemoryPlan.choose(encoder, batch, tokens, columns, one - 1, 0));
        assertTrue(e.getMessage().contains("one sequence of 32 tokens needs") && e.getMessage().contains("raise max_memory"),
                e.getMessage());

        // Temporaries per token count beside each option for the tokens of the pass it runs at a time:
        // a budget that fits the whole batch's activations but not its temporaries as well moves on.
        encoder.setGradientCheckpointing(false);
        long perToken = 1000;
        MemoryPlan withTemporaries = MemoryPlan.choose(encoder, batch, tokens, columns, full + perToken * batch * tokens, 0, perToken);
        assertFalse(withTemporaries.checkpointing(), "activations + temporaries of the whole batch fit exactly");
        MemoryPlan overByOne = MemoryPlan.choose(encoder, batch, tokens, columns, full + perToken * batch * tokens - 1, 0, perToken);
        assertTrue(overByOne.checkpointing(), "one byte less: checkpointing");
        encoder.setGradientCheckpointing(false);
        MemoryPlan halfWithTemporaries = MemoryPlan.choose(encoder, batch, tokens, columns,
                half + perToken * (batch / 2) * tokens, 0, perToken);
        assertEquals(batch / 2, halfWithTemporaries.miniBatch(), "a mini-batch's temporaries are its own tokens'");
    }

    @Test
    void sizesReadAsJavaAndDockerWriteThem() {
        assertEquals(6L << 30, MemoryPlan.parseBytes("6g"));
        assertEquals(1500L << 20, MemoryPlan.parseBytes("1500M"));
        assertEquals(512L << 10, MemoryPlan.parseBytes("512kb"));
        assertEquals((long) (2.5 * (1L << 30)), MemoryPlan.parseBytes("2.5g"));
        assertEquals(123456, MemoryPlan.parseBytes("123456"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MemoryPlan.parseBytes("lots")).getMessage()
                .contains("such as 6g"));
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.parseBytes("-1g"));
    }
}
