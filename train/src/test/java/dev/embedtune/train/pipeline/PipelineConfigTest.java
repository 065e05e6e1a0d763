package dev.embedtune.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.trainer.BatchSamplerType;
import dev.embedtune.train.trainer.SchedulerType;
import dev.embedtune.train.trainer.TrainingArguments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineConfigTest {

    @TempDir
    Path tmp;

    private Path write(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private IllegalArgumentException refused(String name, String text) throws IOException {
        Path f = write(name, text);
        return assertThrows(IllegalArgumentException.class, () -> PipelineConfig.read(f));
    }

    /** The main job's settings, as the issue lists them. */
    @Test
    void defaultsAreTheMainJobs() throws IOException {
        PipelineConfig c = PipelineConfig.read(write("empty.yaml", ""));
        assertEquals("builtin:all-minilm-l6-v2", c.model());
        assertNull(c.data());
        assertEquals(Path.of("runs/main"), c.outputDir());
        assertEquals(List.of(384, 256, 128, 64), c.dims());
        assertEquals(128, c.maxLength());
        assertEquals(BaseQuantization.NF4, c.quantization());
        assertEquals(16, c.loraR());
        assertEquals(32.0, c.loraAlpha());
        assertEquals(new LoraConfig(16, 32, 0, List.of(LoraConfig.ALL_LINEAR), false), c.lora(), "PEFT's defaults, every linear");
        assertTrue(c.modelDropout(), "the model's dropout, as sentence-transformers trains");
        assertEquals("mnrl", c.loss());
        assertEquals("train", c.trainSplit());
        assertEquals("test", c.evalSplit());
        assertTrue(c.mining().enabled());
        assertEquals(PipelineConfig.Scorer.BM25, c.mining().scorer());
        assertEquals(1, c.mining().options().numNegatives());
        assertEquals(ExampleFormat.TRIPLET, PipelineConfig.trainingFormat(c.mining()));
        TrainingArguments t = c.training();
        assertEquals(1.0, t.numTrainEpochs());
        assertEquals(32, t.perDeviceTrainBatchSize());
        assertEquals(BatchSamplerType.NO_DUPLICATES, t.batchSampler());
        assertEquals(2e-4, t.learningRate());
        assertEquals(0.01, t.weightDecay());
        assertEquals(0.1, t.warmupRatio());
        assertEquals(SchedulerType.LINEAR, t.lrSchedulerType());
        assertEquals(42, t.seed());
        assertEquals(0, t.evalSteps());
        assertFalse(c.overwriteOutputDir());
        assertNull(c.resumeFromCheckpoint());
        assertEquals(c, PipelineConfig.defaults(Path.of("runs/main")));
    }

    @Test
    void readsPipelineKeysAndTrainingArgumentsAtTheTopAndUnderTraining() throws IOException {
        PipelineConfig c = PipelineConfig.read(write("run.yaml", """
                model: models/tiny
                data: data/pairs.jsonl
                output_dir: runs/x
                dims: [32, 16]
                max_length: 32
                quantization: int8
                lora_r: 4
                lora_alpha: 8
                lora_dropout: 0.1
                target_modules: [Wqkv, Wo]
                use_rslora: true
                lora_bias: lora_only
                modules_to_save: norm
                model_dropout: false
                loss: cached-mnrl
                eval_split: all
                learning_rate: 1e-4          # YAML 1.1 reads this as a string; taken as the number
                num_train_epochs: 2
                mining:
                  scorer: dense
                  num_negatives: 3
                  format: n-tuple
                  sampling: random
                  relative_margin: 0.05
                  range_max: 20
                training:
                  per_device_train_batch_size: 8
                  eval_steps: 5
                  seed: 7
                """));
        assertEquals("models/tiny", c.model());
        assertEquals(Path.of("data/pairs.jsonl"), c.data());
        assertEquals(Path.of("runs/x"), c.outputDir());
        assertEquals(List.of(32, 16), c.dims());
        assertEquals(32, c.maxLength());
        assertEquals("int8", c.quantization().toString());
        assertEquals(4, c.loraR());
        assertEquals(8.0, c.loraAlpha());
        assertEquals(new LoraConfig(4, 8, 0.1, List.of("Wqkv", "Wo"), true, LoraBias.LORA_ONLY, List.of("norm")), c.lora());
        assertFalse(c.modelDropout());
        assertEquals("cached-mnrl", c.loss());
        assertEquals("all", c.evalSplit());
        assertEquals(1e-4, c.training().learningRate());
        assertEquals(2.0, c.training().numTrainEpochs());
        assertEquals(8, c.training().perDeviceTrainBatchSize());
        assertEquals(5.0, c.training().evalSteps());
        assertEquals(7, c.training().seed());
        // not given: the pipeline's defaults, not HF's
        assertEquals(0.01, c.training().weightDecay());
        assertEquals(BatchSamplerType.NO_DUPLICATES, c.training().batchSampler());
        MiningOptions m = c.mining().options();
        assertEquals(PipelineConfig.Scorer.DENSE, c.mining().scorer());
        assertEquals(3, m.numNegatives());
        assertEquals(MiningOptions.Format.N_TUPLE, m.format());
        assertEquals(MiningOptions.Sampling.RANDOM, m.sampling());
        assertEquals(0.05, m.relativeMargin());
        assertEquals(20, m.rangeMax());
        assertEquals(7, m.seed());   // the training seed
        assertEquals(ExampleFormat.N_TUPLE, PipelineConfig.trainingFormat(c.mining()));
    }

    @Test
    void toJsonReadsBackToAnEqualConfig() throws IOException {
        PipelineConfig c = PipelineConfig.read(write("run.json", """
                {"dims": [64], "mining": {"enabled": false}, "training": {"max_steps": 10, "warmup_steps": 2}, "data": "d.jsonl",
                 "lora_dropout": 0.05, "modules_to_save": ["LayerNorm"], "lora_bias": "all", "model_dropout": false}
                """));
        assertEquals(c, PipelineConfig.fromJson(c.toJson(), "round trip"));
    }

    @Test
    void anUnknownKeyIsAnErrorNamingTheKeyAndTheFile() throws IOException {
        IllegalArgumentException e = refused("top.yaml", "model: builtin:all-minilm-l6-v2\nlearning_rat: 1.0e-4\n");
        assertTrue(e.getMessage().contains(tmp.resolve("top.yaml").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("unknown key 'learning_rat'"), e.getMessage());

        e = refused("nested.yaml", "training:\n  warmup: 0.1\n");
        assertTrue(e.getMessage().contains(tmp.resolve("nested.yaml").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'training.warmup'"), e.getMessage());

        e = refused("mining.yaml", "mining:\n  negatives: 2\n");
        assertTrue(e.getMessage().contains(tmp.resolve("mining.yaml").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'mining.negatives'"), e.getMessage());
    }

    @Test
    void badValuesNameTheKeyAndTheFile() throws IOException {
        Path f = tmp.resolve("bad.yaml");
        for (String[] c : new String[][] {
                {"lora_r: four\n", "lora_r must be an integer"},
                {"lora_dropout: 1.5\n", "lora_dropout must be in [0, 1), got 1.5"},
                {"lora_bias: some\n", "lora_bias: bias must be none, all or lora_only, got 'some'"},
                {"target_modules: [1, 2]\n", "target_modules must be a list of names"},
                {"dims: 384\n", "dims must be a list of integers"},
                {"dims: []\n", "dims must list at least one"},
                {"quantization: nf3\n", "quantization: unknown quantisation 'nf3'"},
                {"mining:\n  scorer: splade\n", "mining.scorer: expected bm25 or dense, got 'splade'"},
                {"mining:\n  num_negatives: 0\n", "num_negatives must be at least 1"},
                {"loss: cosent\n", "loss cosent trains on [PAIR_SCORE]"},
                {"loss: nope\n", "unknown loss 'nope'"},
                {"learning_rate: 1e-4\ntraining:\n  learning_rate: 2e-4\n", "learning_rate is given both at the top level and under training:"},
                {"training:\n  batch_sampler: round_robin\n", "batch_sampler"},
                {"eval_split: dev\n", "eval_split must be train, test or all, got 'dev'"},
                {"overwrite_output_dir: true\nresume_from_checkpoint: latest\n", "exclude each other"},
                {"[1, 2]\n", "expected an object of settings"},
                {"model: [\n", "not valid YAML"}}) {
            Files.writeString(f, c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PipelineConfig.read(f), c[0]);
            assertTrue(e.getMessage().startsWith(f + ":"), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), c[0] + " → " + e.getMessage());
        }
    }

    @Test
    void runFlagsReplaceTheFilesOnes() throws IOException {
        PipelineConfig c = PipelineConfig.read(write("r.yaml", "resume_from_checkpoint: true\n"));
        assertEquals("latest", c.resumeFromCheckpoint());
        PipelineConfig o = c.withRunFlags(true, null);
        assertTrue(o.overwriteOutputDir());
        assertNull(o.resumeFromCheckpoint());
        assertEquals("runs/main/checkpoint-4", c.withRunFlags(false, "runs/main/checkpoint-4").resumeFromCheckpoint());
        assertEquals(c, c.withRunFlags(false, null));
    }
}
