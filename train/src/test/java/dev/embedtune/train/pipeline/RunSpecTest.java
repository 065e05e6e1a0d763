package dev.embedtune.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.trainer.BatchSamplerType;
import dev.embedtune.train.trainer.SchedulerType;
import dev.embedtune.train.trainer.TrainingArguments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RunSpec}: the defaults, the one key vocabulary, the old keys, overrides and the errors, from JSON trees. */
class RunSpecTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static RunSpec read(String json, List<String> warnings) {
        return RunSpec.fromTree(tree(json), "run.json", warnings::add);
    }

    private static IllegalArgumentException refused(String json) {
        return assertThrows(IllegalArgumentException.class, () -> read(json, new ArrayList<>()), json);
    }

    /** The main job's settings, as the README lists them: what {@code embedtune main} has always run. */
    @Test
    void defaultsAreTheMainJobs() {
        RunSpec c = read("{}", new ArrayList<>());
        assertEquals("builtin:all-minilm-l6-v2", c.model());
        assertNull(c.data());
        assertNull(c.columns());
        assertEquals(Path.of("runs/main"), c.outputDir());
        assertEquals(List.of(384, 256, 128, 64), c.matryoshkaDims());
        assertEquals(128, c.maxLength());
        assertEquals(BaseQuantization.NF4, c.quantization());
        assertEquals(new LoraConfig(16, 32, 0, List.of(LoraConfig.ALL_LINEAR), false), c.lora(), "PEFT's defaults, every linear");
        assertTrue(c.modelDropout(), "the model's dropout, as sentence-transformers trains");
        assertEquals("mnrl", c.loss());
        assertEquals(32, c.miniBatchSize(), "sentence-transformers' CachedMNRL mini_batch_size");
        assertEquals("train", c.trainSplit());
        assertEquals("test", c.evalSplit());
        assertNull(c.evaluator());
        assertTrue(c.baseEvaluation());
        assertTrue(c.report());
        assertTrue(c.mining().enabled());
        assertEquals(RunSpec.Scorer.BM25, c.mining().scorer());
        assertEquals(1, c.mining().options().numNegatives());
        assertEquals(ExampleFormat.TRIPLET, Pipeline.trainingFormat(c.mining()));
        TrainingArguments t = c.training();
        assertEquals(1.0, t.numTrainEpochs());
        assertEquals(-1, t.maxSteps());
        assertEquals(32, t.perDeviceTrainBatchSize());
        assertEquals(1, t.gradientAccumulationSteps());
        assertEquals(BatchSamplerType.NO_DUPLICATES, t.batchSampler());
        assertEquals(2e-4, t.learningRate());
        assertEquals(0.01, t.weightDecay());
        assertEquals(0.1, t.warmupRatio());
        assertEquals(SchedulerType.LINEAR, t.lrSchedulerType());
        assertEquals(1.0, t.maxGradNorm());
        assertEquals(42, t.seed());
        assertEquals(0.01, t.loggingSteps());
        assertEquals(0, t.evalSteps());
        assertEquals(0.1, t.saveSteps());
        assertEquals(2, t.saveTotalLimit());
        assertFalse(t.dropLast());
        assertFalse(c.overwriteOutputDir());
        assertNull(c.resumeFromCheckpoint());
        assertEquals(c, RunSpec.defaults(Path.of("runs/main")));
    }

    @Test
    void readsEveryKindOfKey() {
        List<String> warnings = new ArrayList<>();
        RunSpec c = read("""
                {"model": "models/tiny", "data": "data/pairs.csv", "columns": "q=anchor,p=positive", "output_dir": "runs/x",
                 "matryoshka_dims": [32, 16], "max_length": 32, "quantization": "int8", "lora_r": 4, "lora_alpha": 8,
                 "lora_dropout": 0.1, "target_modules": ["Wqkv", "Wo"], "use_rslora": true, "lora_bias": "lora_only",
                 "modules_to_save": "norm", "model_dropout": false, "loss": "cached-mnrl", "mini_batch_size": 4,
                 "eval_split": "all", "evaluator": "retrieval", "learning_rate": "1e-4", "num_train_epochs": 2,
                 "per_device_train_batch_size": 8, "gradient_accumulation_steps": 2, "dataloader_drop_last": true,
                 "eval_steps": 5, "seed": 7,
                 "mining": {"scorer": "dense", "num_negatives": 3, "format": "n-tuple", "sampling": "random",
                            "relative_margin": 0.05, "range_max": 20}}
                """, warnings);
        assertEquals(List.of(), warnings);
        assertEquals("models/tiny", c.model());
        assertEquals(Path.of("data/pairs.csv"), c.data());
        assertEquals("q=anchor,p=positive", c.columns());
        assertEquals(Path.of("runs/x"), c.outputDir());
        assertEquals(List.of(32, 16), c.matryoshkaDims());
        assertEquals(32, c.maxLength());
        assertEquals("int8", c.quantization().toString());
        assertEquals(new LoraConfig(4, 8, 0.1, List.of("Wqkv", "Wo"), true, LoraBias.LORA_ONLY, List.of("norm")), c.lora());
        assertFalse(c.modelDropout());
        assertEquals("cached-mnrl", c.loss());
        assertEquals(4, c.miniBatchSize());
        assertEquals("all", c.evalSplit());
        assertEquals("retrieval", c.evaluator());
        assertEquals(1e-4, c.training().learningRate(), "a numeric string, as YAML 1.1 reads 1e-4");
        assertEquals(2.0, c.training().numTrainEpochs());
        assertEquals(8, c.training().perDeviceTrainBatchSize());
        assertEquals(2, c.training().gradientAccumulationSteps());
        assertTrue(c.training().dropLast());
        assertEquals(5.0, c.training().evalSteps());
        assertEquals(7, c.training().seed());
        assertEquals(0.01, c.training().weightDecay(), "not given: the run spec's default, not Hugging Face's");
        MiningOptions m = c.mining().options();
        assertEquals(RunSpec.Scorer.DENSE, c.mining().scorer());
        assertEquals(3, m.numNegatives());
        assertEquals(MiningOptions.Format.N_TUPLE, m.format());
        assertEquals(MiningOptions.Sampling.RANDOM, m.sampling());
        assertEquals(0.05, m.relativeMargin());
        assertEquals(20, m.rangeMax());
        assertEquals(7, m.seed(), "the training seed");
        assertEquals(ExampleFormat.N_TUPLE, Pipeline.trainingFormat(c.mining()));
    }

    /** Keys of earlier files read with one warning each naming the new key; giving both spellings differently is an error. */
    @Test
    void oldKeysReadWithAWarningNamingTheNewKey() {
        List<String> warnings = new ArrayList<>();
        RunSpec c = read("""
                {"dims": [64, 32], "quantize": "fp4", "lora_rank": 8, "batch_size": 16, "epochs": 2, "base_model": "models/m",
                 "training": {"learning_rate": 3e-4, "seed": 5}}
                """, warnings);
        assertEquals(List.of(64, 32), c.matryoshkaDims());
        assertEquals("fp4", c.quantization().toString());
        assertEquals(8, c.lora().r());
        assertEquals(16, c.training().perDeviceTrainBatchSize());
        assertEquals(2.0, c.training().numTrainEpochs());
        assertEquals("models/m", c.model());
        assertEquals(3e-4, c.training().learningRate());
        assertEquals(5, c.training().seed());
        assertEquals(7, warnings.size(), warnings.toString());
        for (String expected : List.of("'dims' is deprecated; use 'matryoshka_dims'", "'quantize' is deprecated; use 'quantization'",
                "'lora_rank' is deprecated; use 'lora_r'", "'batch_size' is deprecated; use 'per_device_train_batch_size'",
                "'epochs' is deprecated; use 'num_train_epochs'", "'base_model' is deprecated; use 'model'",
                "the training: block is deprecated; write its keys (learning_rate, seed) at the top level")) {
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("run.json: ") && w.contains(expected)), expected + " in " + warnings);
        }
        assertTrue(refused("{\"dims\": [64], \"matryoshka_dims\": [32]}").getMessage().contains("matryoshka_dims is given twice"));
        assertTrue(refused("{\"learning_rate\": 1e-4, \"training\": {\"learning_rate\": 2e-4}}").getMessage()
                .contains("learning_rate is given twice"));
    }

    @Test
    void theTreeReadsBackToAnEqualSpec() {
        RunSpec c = read("""
                {"dims": [64], "mining": {"enabled": false}, "max_steps": 10, "warmup_steps": 2, "data": "d.jsonl",
                 "lora_dropout": 0.05, "modules_to_save": ["LayerNorm"], "lora_bias": "all", "model_dropout": false,
                 "eval_steps": 3, "eval_split": "all", "base_evaluation": false, "report": false}
                """, new ArrayList<>());
        assertEquals(c, RunSpec.fromTree(c.toTree(), "round trip", w -> { }));
        for (String k : RunSpec.KEYS) {
            assertTrue(c.toTree().has(k), k);
        }
    }

    /** Overrides are read as a file is; an override of eval_steps wins over the strategy the tree implies. */
    @Test
    void overridesReplaceKeysAndMergeMining() {
        RunSpec base = RunSpec.defaults(Path.of("runs/a"));
        RunSpec o = base.withOverrides(tree("""
                {"eval_steps": 2, "mining": {"num_negatives": 2}, "lora_rank": 4, "overwrite_output_dir": true}
                """), "command line", w -> { });
        assertEquals(2.0, o.training().evalSteps());
        assertEquals(2, o.mining().options().numNegatives());
        assertTrue(o.mining().enabled(), "mining merges key by key");
        assertEquals(4, o.lora().r());
        assertTrue(o.overwriteOutputDir());
        assertEquals(base, o.withOverrides(base.toTree(), "back", w -> { }));
        assertEquals(Path.of("runs/b"), base.withOutputDir(Path.of("runs/b")).outputDir());
    }

    @Test
    void anUnknownKeyIsAnErrorNamingTheKeyAndTheFile() {
        IllegalArgumentException e = refused("{\"model\": \"m\", \"learning_rat\": 1e-4}");
        assertTrue(e.getMessage().startsWith("run.json: unknown key 'learning_rat'; known keys: model, data"), e.getMessage());
        assertTrue(refused("{\"training\": {\"warmup\": 0.1}}").getMessage().contains("run.json: unknown training argument 'training.warmup'"));
        assertTrue(refused("{\"mining\": {\"negatives\": 2}}").getMessage().contains("run.json: unknown key 'mining.negatives'"));
    }

    @Test
    void badValuesNameTheKeyAndTheFile() {
        for (String[] c : new String[][] {
                {"{\"lora_r\": \"four\"}", "lora_r must be an integer"},
                {"{\"lora_dropout\": 1.5}", "lora_dropout must be in [0, 1), got 1.5"},
                {"{\"lora_bias\": \"some\"}", "lora_bias: bias must be none, all or lora_only, got 'some'"},
                {"{\"target_modules\": [1, 2]}", "target_modules must be a list of names"},
                {"{\"matryoshka_dims\": [0]}", "matryoshka_dims must be positive"},
                {"{\"matryoshka_dims\": \"a,b\"}", "matryoshka_dims must be a list of integers"},
                {"{\"mini_batch_size\": 0}", "mini_batch_size must be at least 1, got 0"},
                {"{\"quantization\": \"nf3\"}", "quantization: unknown quantisation 'nf3'"},
                {"{\"mining\": {\"scorer\": \"splade\"}}", "mining.scorer: expected bm25 or dense, got 'splade'"},
                {"{\"mining\": {\"num_negatives\": 0}}", "num_negatives must be at least 1"},
                {"{\"loss\": \"nope\"}", "unknown loss 'nope'"},
                {"{\"batch_sampler\": \"round_robin\"}", "batch_sampler"},
                {"{\"gradient_accumulation_steps\": 0}", "gradient_accumulation_steps must be at least 1"},
                {"{\"eval_split\": \" \"}", "eval_split must name a split"},
                {"{\"eval_split\": null, \"base_evaluation\": false, \"report\": false, \"eval_steps\": 5}", "eval_steps 5.0 needs something to evaluate"},
                {"{\"eval_split\": null}", "base_evaluation needs an eval_split"},
                {"{\"base_evaluation\": false}", "report compares the base model with the fine-tuned one"},
                {"{\"overwrite_output_dir\": true, \"resume_from_checkpoint\": \"latest\"}", "exclude each other"},
                {"[1, 2]", "expected an object of settings"}}) {
            IllegalArgumentException e = refused(c[0]);
            assertTrue(e.getMessage().startsWith("run.json:"), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), c[0] + " → " + e.getMessage());
        }
    }
}
