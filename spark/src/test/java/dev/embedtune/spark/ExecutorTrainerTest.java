package dev.embedtune.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.train.trainer.LoraTrainingModel;
import dev.embedtune.train.trainer.TinyModelDir;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An executor keeps its training pass from task to task, as the local trainer keeps it from step to
 * step, so a task's result must not depend on what the executor ran before (a retried task, a task on
 * another executor and a resumed application must give the same bits). Compared bit for bit, on the
 * BERT and the ModernBERT toy models (NF4 base, LoRA on every linear with dropout, the model's own
 * dropout): a task on a freshly loaded executor model, and the same task after tasks of more rows,
 * longer texts and other dropout seeds (the pass grown for them, then re-taken for the smaller task).
 */
class ExecutorTrainerTest {

    @TempDir
    static Path dir;

    @Test
    void aTaskGivesTheSameBitsOnAFreshExecutorAndAfterOtherTasks() throws IOException {
        LoraConfig lora = new LoraConfig(4, 8, 0.1, List.of(LoraConfig.ALL_LINEAR), false);
        for (String architecture : List.of("bert", "modernbert")) {
            Path model = architecture.equals("bert") ? TinyModelDir.write(dir.resolve(architecture), 7)
                    : TinyModelDir.writeModernBert(dir.resolve(architecture), 7);
            TrainingSpec spec = TrainingSpec.of(model, lora, BaseQuantization.NF4, 64, true, 11);
            LoraTrainingModel driver = spec.create();
            Broadcast<ParameterSnapshot> params = SparkTestSession.context().broadcast(ParameterSnapshot.of(driver.parameters()));
            List<String[]> pairs = TinyModelDir.pairs(40);
            // task: rows 6..11 of a global batch of 12 pairs; other: 24 rows of texts about 3 times as long
            ExecutorTrainer.Slice task = slice(driver, pairs.subList(0, 12), 6, 12, 1, 1);
            ExecutorTrainer.Slice other = slice(driver, pairs.subList(12, 40), 2, 26, 3, 2);
            try {
                ExecutorModels.clear();   // a fresh executor JVM
                float[][][] freshEmbeddings = ExecutorTrainer.of(spec).embed(params, task, 5, 0);
                float[][] freshGradients = ExecutorTrainer.of(spec).backward(params, task, 5, 0);
                ExecutorTrainer.of(spec).embed(params, other, 99, 0);
                ExecutorTrainer.of(spec).backward(params, other, 99, 0);
                float[][][] embeddings = ExecutorTrainer.of(spec).embed(params, task, 5, 0);
                float[][] gradients = ExecutorTrainer.of(spec).backward(params, task, 5, 0);
                assertEquals(2, embeddings.length);
                for (int c = 0; c < embeddings.length; c++) {
                    for (int r = 0; r < embeddings[c].length; r++) {
                        assertArrayEquals(freshEmbeddings[c][r], embeddings[c][r], architecture + ": column " + c + " row " + r);
                    }
                }
                double norm = 0;
                for (int i = 0; i < gradients.length; i++) {
                    assertArrayEquals(freshGradients[i], gradients[i], architecture + ": gradient " + i);
                    for (float g : gradients[i]) {
                        norm += g * g;
                    }
                }
                assertTrue(norm > 0, architecture + ": the task computed gradients");
            } finally {
                params.destroy();
                ExecutorModels.clear();
            }
        }
    }

    /**
     * Rows [from, to) of a global batch of (query, passage) pairs, each text repeated {@code repeat}
     * times, with random dL/dE rows.
     */
    private static ExecutorTrainer.Slice slice(LoraTrainingModel driver, List<String[]> pairs, int from, int to, int repeat,
            long seed) {
        int[][][] ids = new int[2][][], mask = new int[2][][], types = new int[2][][];
        float[][][] dE = new float[2][to - from][];
        SplittableRandom random = new SplittableRandom(seed);
        int dim = driver.baseModel().pooling().outputDimension();
        for (int c = 0; c < 2; c++) {
            List<String> column = new ArrayList<>();
            for (String[] p : pairs) {
                column.add((p[c] + " ").repeat(repeat).strip());
            }
            BatchEncoding e = driver.tokenizer().encodeBatch(column);
            ids[c] = java.util.Arrays.copyOfRange(e.inputIds(), from, to);
            mask[c] = java.util.Arrays.copyOfRange(e.attentionMask(), from, to);
            types[c] = java.util.Arrays.copyOfRange(e.tokenTypeIds(), from, to);
            for (int r = 0; r < to - from; r++) {
                dE[c][r] = new float[dim];
                for (int d = 0; d < dim; d++) {
                    dE[c][r][d] = (float) (random.nextDouble() - 0.5);
                }
            }
        }
        return new ExecutorTrainer.Slice(0, from, ids, mask, types, dE);
    }
}
