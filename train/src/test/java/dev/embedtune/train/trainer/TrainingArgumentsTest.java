package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading HF-style argument files: keys, defaults, strategies, and errors that name file and key. */
class TrainingArgumentsTest {

    @TempDir
    Path tmp;

    @Test
    void defaultsAreHuggingFaces() {
        TrainingArguments a = TrainingArguments.builder(tmp).build();
        assertEquals(3.0, a.numTrainEpochs());
        assertEquals(-1, a.maxSteps());
        assertEquals(8, a.perDeviceTrainBatchSize());
        assertEquals(1, a.gradientAccumulationSteps());
        assertEquals(5e-5, a.learningRate());
        assertEquals(SchedulerType.LINEAR, a.lrSchedulerType());
        assertEquals(0.9, a.adamBeta1());
        assertEquals(0.999, a.adamBeta2());
        assertEquals(1e-8, a.adamEpsilon());
        assertEquals(1.0, a.maxGradNorm());
        assertEquals(500, a.loggingSteps());
        assertEquals(0, a.evalSteps());
        assertEquals(500, a.saveSteps());
        assertEquals(42, a.seed());
        assertEquals(BatchSamplerType.BATCH_SAMPLER, a.batchSampler());
        assertNull(a.metricForBestModel());
    }

    @Test
    void readsSnakeCaseKeys() throws Exception {
        Path f = tmp.resolve("args.json");
        Files.writeString(f, """
                {"output_dir": "runs/x", "num_train_epochs": 1, "per_device_train_batch_size": 32,
                 "gradient_accumulation_steps": 2, "learning_rate": "2e-5", "warmup_ratio": 0.1, "lr_scheduler_type": "cosine",
                 "weight_decay": 0.01, "max_grad_norm": 0, "logging_steps": 10, "eval_strategy": "steps", "eval_steps": 0.25,
                 "save_steps": 50, "save_total_limit": 2, "load_best_model_at_end": true,
                 "metric_for_best_model": "eval_cosine_ndcg@10", "seed": 7, "batch_sampler": "no_duplicates",
                 "dataloader_drop_last": true, "disable_tqdm": true}
                """);
        TrainingArguments a = read(f);
        assertEquals(Path.of("runs/x"), a.outputDir());
        assertEquals(32, a.perDeviceTrainBatchSize());
        assertEquals(2e-5, a.learningRate());           // YAML 1.1 reads 2e-5 as a string; a numeric string is accepted as a number
        assertEquals(SchedulerType.COSINE, a.lrSchedulerType());
        assertEquals(0.25, a.evalSteps());
        assertEquals(25, TrainingArguments.resolveSteps(a.evalSteps(), 100));
        assertEquals(BatchSamplerType.NO_DUPLICATES, a.batchSampler());
        assertTrue(a.dropLast());
        // the JSON form reads back to equal arguments (what trainer_state.json stores)
        assertEquals(a, TrainingArguments.fromJson(a.toJson(), "round trip"));
    }

    @Test
    void evalStrategyStepsWithoutEvalStepsUsesLoggingSteps() throws Exception {
        Path f = tmp.resolve("args.json");
        Files.writeString(f, "{\"output_dir\": \"o\", \"logging_steps\": 20, \"eval_strategy\": \"steps\", \"save_strategy\": \"no\"}");
        TrainingArguments a = read(f);
        assertEquals(20, a.evalSteps());
        assertEquals(0, a.saveSteps());
    }

    @Test
    void unknownKeyNamesTheFileAndTheKey() throws Exception {
        Path f = tmp.resolve("bad.json");
        Files.writeString(f, "{\"output_dir\": \"o\", \"learning_rte\": 1e-4}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(f));
        assertTrue(e.getMessage().startsWith(f + ": unknown training argument 'learning_rte'; known keys: output_dir, "),
                e.getMessage());
    }

    @Test
    void wrongValuesNameTheFileAndTheKey() throws Exception {
        Path f = tmp.resolve("bad.json");
        Files.writeString(f, "{\"output_dir\": \"o\", \"per_device_train_batch_size\": \"many\"}");
        assertEquals(f + ": per_device_train_batch_size must be an integer, found \"many\"",
                assertThrows(IllegalArgumentException.class, () -> read(f)).getMessage());
        Files.writeString(f, "{\"output_dir\": \"o\", \"lr_scheduler_type\": \"polynomial\"}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> read(f)).getMessage()
                .startsWith(f + ": lr_scheduler_type: unknown lr_scheduler_type \"polynomial\""));
        Files.writeString(f, "{\"output_dir\": \"o\", \"load_best_model_at_end\": true, \"eval_steps\": 30, \"save_steps\": 50}");
        assertEquals(f + ": load_best_model_at_end requires save_steps to be a multiple of eval_steps, found save_steps 50 and eval_steps 30",
                assertThrows(IllegalArgumentException.class, () -> read(f)).getMessage());
        Files.writeString(f, "{\"learning_rate\": 1.0e-4}");
        assertEquals(f + ": output_dir is required",
                assertThrows(IllegalArgumentException.class, () -> read(f)).getMessage());
    }

    private static TrainingArguments read(Path f) throws Exception {
        return TrainingArguments.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readString(f)), f.toString());
    }
}
