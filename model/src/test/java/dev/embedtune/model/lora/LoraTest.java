package dev.embedtune.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.pooling.Pooling;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LoraTest {
    static Path minilm;
    static BertConfig config;
    static Map<String, INDArray> base;
    static BatchEncoding batch;
    static final List<String> TEXTS = List.of("hacker", "A clever programming trick that solves a nasty case.", "");

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        minilm = ModelCache.resolve("builtin:all-minilm-l6-v2");
        ModelDirectory md = ModelDirectory.read(minilm);
        config = md.bertConfig();
        try (TensorSource w = md.openWeights()) {
            base = BertEncoder.readWeights(config, w, minilm);
        }
        batch = Tokenizer.fromFile(md.tokenizerJson()).withPadding(Padding.longest()).encodeBatch(TEXTS);
    }

    private static INDArray embed(BertEncoder encoder) {
        INDArray hidden = encoder.forward(batch.inputIds(), batch.attentionMask(), batch.tokenTypeIds());
        ModelDirectory md;
        try {
            md = ModelDirectory.read(minilm);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Pooling.normalize(Pooling.pool(md.pooling(), hidden, Nd4j.createFromArray(batch.attentionMask()), 0));
    }

    /** Adapters with a non-zero B, as after some training. */
    private static LoraModel trained(LoraConfig c) {
        LoraModel fresh = LoraModel.init(config, c, 1);
        Random random = new Random(2);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        fresh.adapters().forEach((m, ad) -> {
            float[] b = new float[(int) ad.b().length()];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) random.nextGaussian() * 0.02f;
            }
            adapters.put(m, new LoraAdapter(ad.a(), Nd4j.createFromArray(b).reshape(ad.b().shape())));
        });
        return new LoraModel(c, adapters);
    }

    @Test
    void initialisationFollowsPeft() {
        LoraConfig c = new LoraConfig(8, 16, 0.1, LoraConfig.BERT_DEFAULT_TARGETS, false);
        LoraModel lora = LoraModel.init(config, c, 7);
        assertEquals(6 * 6, lora.adapters().size());   // query, key, value, attention.output.dense, intermediate.dense, output.dense × 6 layers
        assertTrue(lora.adapters().containsKey("encoder.layer.5.intermediate.dense"));
        for (LoraAdapter ad : lora.adapters().values()) {
            long in = ad.a().size(1);
            double bound = 1 / Math.sqrt(in);   // Kaiming-uniform, a = √5
            assertTrue(ad.a().amaxNumber().doubleValue() <= bound, "A within ±1/√in");
            assertTrue(ad.a().amaxNumber().doubleValue() > 0.9 * bound, "A uses its range");
            assertEquals(0.0, ad.b().amaxNumber().doubleValue(), 0.0, "B starts at zero");
        }
        assertEquals(2.0, c.scale(), 0.0);                                                      // alpha / r
        assertEquals(16 / Math.sqrt(8), new LoraConfig(8, 16, 0, List.of("query"), true).scale(), 1e-12);   // rsLoRA
    }

    @Test
    void freshAdaptersChangeNothing() {
        LoraModel fresh = LoraModel.init(config, new LoraConfig(4, 8, 0, LoraConfig.BERT_DEFAULT_TARGETS, false), 3);
        INDArray plain = embed(BertEncoder.fromWeights(config, base));
        INDArray adapted = embed(BertEncoder.fromWeights(config, base, fresh));
        assertTrue(plain.equalsWithEps(adapted, 1e-7), "B = 0 ⇒ the base model's output");
    }

    @Test
    void mergedAndUnmergedGiveTheSameEmbeddings() throws IOException {
        LoraModel lora = trained(new LoraConfig(8, 16, 0, LoraConfig.BERT_DEFAULT_TARGETS, false));
        INDArray unmerged = embed(BertEncoder.fromWeights(config, base, lora));
        INDArray plain = embed(BertEncoder.fromWeights(config, base));
        assertTrue(Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.same.AMax(unmerged.sub(plain))).getDouble(0) > 1e-3,
                "the adapters must change the embeddings for this test to mean anything");

        Path merged = dir.resolve("merged");
        LoraMerge.writeMerged(minilm, lora, merged);
        float[][] fromDisk = Embedder.load(merged).encode(TEXTS);
        double max = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            for (int j = 0; j < 384; j++) {
                max = Math.max(max, Math.abs(fromDisk[i][j] - unmerged.getFloat(i, j)));
            }
        }
        assertTrue(max <= 1e-5, "merged vs unmerged: " + max);   // issue 5's tolerance
    }

    @Test
    void savesAndLoadsPeftsLayout() throws IOException {
        LoraModel lora = trained(new LoraConfig(4, 8, 0.05, List.of("query", "value"), true));
        Path out = dir.resolve("adapter");
        lora.save(out, "sentence-transformers/all-MiniLM-L6-v2");
        JsonNode c = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("LORA", c.get("peft_type").asText());
        assertEquals(4, c.get("r").asInt());
        assertEquals(8.0, c.get("lora_alpha").asDouble());
        // the exact adapted modules as PEFT's regex form (a list holding a last name would also match pooler.dense)
        assertEquals("encoder\\.layer\\.(0|1|2|3|4|5)\\.(attention\\.self\\.query|attention\\.self\\.value)",
                c.get("target_modules").asText());
        assertTrue(c.get("use_rslora").asBoolean());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(6 * 2 * 2, f.names().size());
            assertArrayEquals(new long[] {4, 384}, f.info("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight").shape());
            assertArrayEquals(new long[] {384, 4}, f.info("base_model.model.encoder.layer.5.attention.self.value.lora_B.weight").shape());
        }
        LoraModel back = LoraModel.load(out, config);
        assertEquals(lora.config(), back.config());
        lora.adapters().forEach((m, ad) -> {
            assertEquals(ad.a(), back.adapters().get(m).a(), m);
            assertEquals(ad.b(), back.adapters().get(m).b(), m);
        });
    }

    @Test
    void aWrongAdapterShapeIsNamed() throws IOException {
        LoraModel lora = LoraModel.init(config, new LoraConfig(4, 8, 0, List.of("query"), false), 1);
        Path out = dir.resolve("adapter");
        lora.save(out, "x");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            for (String name : f.names()) {
                long[] shape = name.endsWith("layer.2.attention.self.query.lora_A.weight") ? new long[] {4, 100} : f.info(name).shape();
                int n = (int) (shape[0] * shape[1]);
                w.addFloats(name, new float[n], shape);
            }
        }
        w.write(out.resolve("adapter_model.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoraModel.load(out, config));
        assertTrue(e.getMessage().contains("encoder.layer.2.attention.self.query.lora_A.weight' has shape [4, 100], expected [4, 384]"),
                e.getMessage());
    }

    /** Trained biases and LayerNorms: the base values moved, as after training with bias "all" and modules_to_save. */
    private static LoraModel withTrainedBase(LoraConfig c) {
        LoraModel lora = trained(c);
        Random random = new Random(4);
        Map<String, INDArray> trainedBase = new LinkedHashMap<>();
        for (String name : TrainedBaseTensors.names(config, c)) {
            INDArray v = base.get(name).dup();
            for (long i = 0; i < v.length(); i++) {
                v.putScalar(i, v.getDouble(i) + random.nextGaussian() * 0.05);
            }
            trainedBase.put(name, v);
        }
        return new LoraModel(c, lora.adapters(), trainedBase);
    }

    @Test
    void trainedBiasesAndLayerNormsAreSavedInPeftsLayoutAndLoadedBack() throws IOException {
        LoraConfig c = new LoraConfig(4, 8, 0.1, LoraConfig.BERT_DEFAULT_TARGETS, false, LoraBias.ALL, List.of("LayerNorm"));
        LoraModel lora = withTrainedBase(c);
        // MiniLM, 6 layers: 8 biases a layer (6 linears, 2 LayerNorms) + the embeddings' LayerNorm bias; 13 LayerNorm weights
        assertEquals(6 * 8 + 1 + 13, lora.baseTensors().size());
        Path out = dir.resolve("adapter");
        lora.save(out, "sentence-transformers/all-MiniLM-L6-v2");
        JsonNode json = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("all", json.get("bias").asText());
        assertEquals("LayerNorm", json.get("modules_to_save").get(0).asText());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(6 * 6 * 2 + 62, f.names().size());
            // an adapted linear's own bias under PEFT ≥ 0.7's wrapped name, the rest under their own
            assertArrayEquals(new long[] {384}, f.info("base_model.model.encoder.layer.0.attention.self.query.base_layer.bias").shape());
            assertArrayEquals(new long[] {1536}, f.info("base_model.model.encoder.layer.3.intermediate.dense.base_layer.bias").shape());
            assertFalse(f.contains("base_model.model.encoder.layer.0.attention.self.query.bias"));
            assertArrayEquals(new long[] {384}, f.info("base_model.model.embeddings.LayerNorm.weight").shape());
            assertArrayEquals(new long[] {384}, f.info("base_model.model.encoder.layer.5.output.LayerNorm.bias").shape());
        }
        LoraModel back = LoraModel.load(out, config);
        assertEquals(c, back.config());
        assertEquals(lora.baseTensors().keySet(), back.baseTensors().keySet());
        lora.baseTensors().forEach((n, v) -> assertEquals(v, back.baseTensors().get(n), n));
    }

    @Test
    void loraOnlySavesTheBiasesOfAdaptedLinearsOnly() throws IOException {
        LoraConfig c = new LoraConfig(4, 8, 0, List.of("query", "value"), false, LoraBias.LORA_ONLY, List.of());
        List<String> names = TrainedBaseTensors.names(config, c);
        assertEquals(12, names.size());
        assertTrue(names.stream().allMatch(n -> n.endsWith("query.bias") || n.endsWith("value.bias")), names.toString());
        LoraModel lora = withTrainedBase(c);
        lora.save(dir.resolve("adapter"), "x");
        LoraModel back = LoraModel.load(dir.resolve("adapter"), config);
        assertEquals(LoraBias.LORA_ONLY, back.config().bias());
        assertEquals(lora.baseTensors(), back.baseTensors());
    }

    @Test
    void mergedModelCarriesTrainedBiasesAndLayerNorms() throws IOException {
        LoraConfig c = new LoraConfig(8, 16, 0, LoraConfig.BERT_DEFAULT_TARGETS, false, LoraBias.ALL, List.of("LayerNorm"));
        LoraModel lora = withTrainedBase(c);
        INDArray unmerged = embed(BertEncoder.fromWeights(config, base, lora));
        INDArray adaptersOnly = embed(BertEncoder.fromWeights(config, base, new LoraModel(c, lora.adapters())));
        assertTrue(Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.same.AMax(unmerged.sub(adaptersOnly))).getDouble(0) > 1e-3,
                "the trained biases and LayerNorms must change the embeddings for this test to mean anything");
        Path merged = dir.resolve("merged");
        LoraMerge.writeMerged(minilm, lora, merged);
        float[][] fromDisk = Embedder.load(merged).encode(TEXTS);
        double max = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            for (int j = 0; j < 384; j++) {
                max = Math.max(max, Math.abs(fromDisk[i][j] - unmerged.getFloat(i, j)));
            }
        }
        assertTrue(max <= 1e-5, "merged vs unmerged: " + max);
    }

    @Test
    void badBiasAndModulesToSaveAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraBias.parse("some"));
        assertEquals("bias must be none, all or lora_only, got 'some'", e.getMessage());
        LoraConfig dense = new LoraConfig(4, 8, 0, List.of("query"), false, LoraBias.NONE, List.of("dense"));
        e = assertThrows(IllegalArgumentException.class, () -> TrainedBaseTensors.names(config, dense));
        assertTrue(e.getMessage().contains("'dense' matches encoder.layer.0.attention.output.dense, which is not a norm"),
                e.getMessage());
        LoraConfig pooler = dense.withModulesToSave(List.of("pooler"));
        e = assertThrows(IllegalArgumentException.class, () -> TrainedBaseTensors.names(config, pooler));
        assertTrue(e.getMessage().contains("'pooler' matches no module"), e.getMessage());
    }
}
