package dev.embedtune.train.pipeline;
import dev.embedtune.train.trainer.*;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.ModernBertTrainingEncoder;
import dev.embedtune.train.data.ExampleFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QLoRA on ModernBERT end to end, on a tiny random ModernBERT model directory
 * ({@link TinyModelDir#writeModernBert}): the training model embeds like the inference Embedder,
 * training descends over a dense and an NF4 base, and save() writes PEFT's layout with ModernBERT's
 * module names and a merged model that embeds like the adapters unmerged.
 */
class ModernBertFineTuneTest {

    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void writeModel() throws IOException {
        model = TinyModelDir.writeModernBert(shared.resolve("tiny-modernbert"), 5);
    }

    /** Fresh adapters (B = 0): the training model is the base model. float32, other op order: 1e-5 on unit vectors. */
    @Test
    void freshAdaptersEmbedLikeTheEmbedder() throws IOException {
        LoraTrainingModel m = LoraTrainingModel.create(model, new LoraConfig(4, 8, 0, List.of(LoraConfig.ALL_LINEAR), false),
                BaseQuantization.NONE, null, 3);
        assertTrue(m.trainingEncoder() instanceof ModernBertTrainingEncoder);
        assertEquals(12, m.adapters().adapters().size(), "Wqkv, attn Wo, Wi and mlp Wo in each of 3 layers");
        double diff = FineTuneJobTest.maxDiff(Embedder.load(model).encode(FineTuneJobTest.TEXTS), m.embed(FineTuneJobTest.TEXTS));
        assertTrue(diff <= 1e-5, "max |difference| " + diff);
    }

    /** One batch holding the whole dataset each step: MNRL's step losses fall, over a dense and an NF4 base. */
    @ParameterizedTest
    @ValueSource(strings = {"none", "nf4"})
    void stepLossesFallOnAFixedBatch(String quantize) throws IOException {
        List<Double> losses = new ArrayList<>();
        TrainingArguments args = TrainingArguments.builder(tmp.resolve("out")).maxSteps(6).perDeviceTrainBatchSize(8)
                .learningRate(1e-2).lrSchedulerType(SchedulerType.CONSTANT).saveSteps(0).disableTqdm(true).build();
        FineTuneJob job = FineTuneJobTest.Job.of(model, args)
                .quantization(BaseQuantization.parse(quantize))
                .lora(new LoraConfig(4, 8, 0, LoraConfig.MODERNBERT_DEFAULT_TARGETS, false)).prepare();
        job.train(FineTuneJobTest.dataFor(ExampleFormat.PAIR, 8), null, new TrainerListener() {
            @Override
            public void onStepEnd(StepOutcome s) {
                losses.add(s.loss());
            }
        }, null);
        assertEquals(6, losses.size());
        for (int i = 1; i < losses.size(); i++) {
            assertTrue(losses.get(i) < losses.get(i - 1), "step losses " + losses);
        }
    }

    /**
     * save(): adapter_config.json names ModernBERT's targets, adapter_model.safetensors holds
     * {@code base_model.model.layers.<i>.attn.Wqkv.lora_A.weight} etc., the adapters reload equal, and
     * the merged model directory (read by the SameDiff ModernBERT encoder) embeds like the unmerged
     * training model within 1e-5.
     */
    @Test
    void saveWritesPeftLayoutAndAMergedModel() throws IOException {
        Path out = tmp.resolve("out");
        TrainingArguments args = TrainingArguments.builder(out).maxSteps(2).perDeviceTrainBatchSize(4).learningRate(1e-2)
                .saveSteps(0).disableTqdm(true).build();
        FineTuneJob job = FineTuneJobTest.Job.of(model, args).quantization(BaseQuantization.NONE).prepare();
        job.train(FineTuneJobTest.dataFor(ExampleFormat.PAIR, 8), null, null, null);
        FineTuneJob.Saved saved = job.save();

        // the defaults: r 16 on every linear (all-linear)
        JsonNode config = new ObjectMapper().readTree(saved.adapterDir().resolve(LoraModel.CONFIG_FILE).toFile());
        List<String> targets = new ArrayList<>();
        config.path("target_modules").forEach(t -> targets.add(t.asText()));
        assertEquals(List.of("Wqkv", "Wo", "Wi"), targets, "all-linear expands to ModernBERT's linear names, as PEFT saves it");
        try (SafetensorsFile f = SafetensorsFile.open(saved.adapterDir().resolve(LoraModel.WEIGHTS_FILE))) {
            assertEquals(List.of(16L, 32L), toList(f.info("base_model.model.layers.0.attn.Wqkv.lora_A.weight").shape()));
            assertEquals(List.of(96L, 16L), toList(f.info("base_model.model.layers.0.attn.Wqkv.lora_B.weight").shape()));
            assertEquals(List.of(96L, 16L), toList(f.info("base_model.model.layers.2.mlp.Wi.lora_B.weight").shape()));
            assertEquals(List.of(32L, 16L), toList(f.info("base_model.model.layers.1.mlp.Wo.lora_B.weight").shape()));
        }
        ModernBertConfig modern = (ModernBertConfig) ModelDirectory.read(model).config();
        LoraModel reloaded = LoraModel.load(saved.adapterDir(), modern);
        job.model().adapters().adapters().forEach((module, a) ->
                assertEquals(0.0, a.b().sub(reloaded.adapters().get(module).b()).norm1Number().doubleValue(), 0.0, module));
        assertTrue(reloaded.adapters().get("layers.1.attn.Wqkv").b().norm2Number().doubleValue() > 0, "B trained off zero");

        double diff = FineTuneJobTest.maxDiff(job.model().embed(FineTuneJobTest.TEXTS),
                Embedder.load(saved.modelDir()).encode(FineTuneJobTest.TEXTS));
        assertTrue(diff <= 1e-5, "merged vs unmerged: max |difference| " + diff);
    }

    private static List<Long> toList(long[] shape) {
        List<Long> out = new ArrayList<>();
        for (long s : shape) {
            out.add(s);
        }
        return out;
    }

    /**
     * LoRA dropout and every norm trained (modules_to_save "norm"): the norms' γ train, are saved as
     * {@code base_model.model.<name>} and reload equal, and the merged model embeds like the training
     * model within 1e-5.
     */
    @Test
    void trainsNormsWithLoraDropoutAndSavesThem() throws IOException {
        Path out = tmp.resolve("out");
        TrainingArguments args = TrainingArguments.builder(out).maxSteps(2).perDeviceTrainBatchSize(4).learningRate(1e-2)
                .saveSteps(0).disableTqdm(true).build();
        LoraConfig lora = new LoraConfig(4, 8, 0.1, LoraConfig.MODERNBERT_DEFAULT_TARGETS, false,
                dev.embedtune.model.lora.LoraBias.ALL, List.of("norm"));
        FineTuneJob job = FineTuneJobTest.Job.of(model, args).quantization(BaseQuantization.NONE)
                .lora(lora).prepare();
        job.train(FineTuneJobTest.dataFor(ExampleFormat.PAIR, 8), null, null, null);
        var gamma = job.model().parameters().get("final_norm.weight");
        assertTrue(gamma != null && job.model().parameters().containsKey("layers.1.attn_norm.weight"),
                job.model().parameters().keySet().toString());
        ModelDirectory md = ModelDirectory.read(model);
        try (var w = md.openWeights()) {
            var original = dev.embedtune.model.EncoderWeights.read(md.config(), w, model).get("final_norm.weight");
            assertTrue(original.sub(gamma).amaxNumber().doubleValue() > 1e-4, "final_norm's γ must have trained");
        }
        FineTuneJob.Saved saved = job.save();
        try (SafetensorsFile f = SafetensorsFile.open(saved.adapterDir().resolve(LoraModel.WEIGHTS_FILE))) {
            assertTrue(f.contains("base_model.model.final_norm.weight") && f.contains("base_model.model.embeddings.norm.weight"));
        }
        ModernBertConfig modern = (ModernBertConfig) ModelDirectory.read(model).config();
        LoraModel reloaded = LoraModel.load(saved.adapterDir(), modern);
        assertEquals(lora, reloaded.config());
        assertEquals(gamma, reloaded.baseTensors().get("final_norm.weight"));
        assertEquals(7, reloaded.baseTensors().size(), "embeddings.norm, 2 attn_norm, 3 mlp_norm, final_norm (no biases)");
        double diff = FineTuneJobTest.maxDiff(job.model().embed(FineTuneJobTest.TEXTS),
                Embedder.load(saved.modelDir()).encode(FineTuneJobTest.TEXTS));
        assertTrue(diff <= 1e-5, "merged vs unmerged: max |difference| " + diff);
    }
}
