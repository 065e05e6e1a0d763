package dev.embedtune.model.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.card.AdapterCard;
import dev.embedtune.model.card.RunFacts;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.FiniteValues;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The LoRA adapters of an encoder (BERT or ModernBERT), keyed by module path (e.g.
 * {@code encoder.layer.0.attention.self.query}, {@code layers.0.attn.Wqkv}), saved and loaded in PEFT's layout:
 * {@code adapter_config.json} and {@code adapter_model.safetensors} with keys
 * {@code base_model.model.<module path>.lora_A.weight} [r, in] and {@code .lora_B.weight} [out, r],
 * plus {@code base_model.model.<name>} for each base tensor that trained ({@link TrainedBaseTensors}).
 *
 * @param baseTensors trained base tensors (biases, LayerNorm γ/β) by Hugging Face name; empty when
 *     none train, or for fresh adapters (they start from the base model's values)
 */
public record LoraModel(LoraConfig config, Map<String, LoraAdapter> adapters, Map<String, INDArray> baseTensors) {

    public LoraModel {
        baseTensors = baseTensors == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(baseTensors));
    }

    /** Adapters alone: trained base tensors, if any, still hold the base model's values. */
    public LoraModel(LoraConfig config, Map<String, LoraAdapter> adapters) {
        this(config, adapters, Map.of());
    }

    static final String PREFIX = "base_model.model.";
    public static final String CONFIG_FILE = "adapter_config.json", WEIGHTS_FILE = "adapter_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The linear modules of the encoder that {@code config} targets, in module order. */
    public static List<String> targetModules(ModelConfig model, LoraConfig config) {
        List<String> out = new ArrayList<>();
        for (String module : EncoderWeights.linearModules(model).keySet()) {
            if (config.targets(module)) {
                out.add(module);
            }
        }
        if (out.isEmpty()) {
            Set<String> names = new LinkedHashSet<>();
            EncoderWeights.linearModules(model).keySet().forEach(m -> names.add(m.substring(m.lastIndexOf('.') + 1)));
            throw new IllegalArgumentException("target_modules " + config.targetModules() + " match no linear module of this "
                    + model.modelType() + " model; its linear modules are " + names + " (or use " + LoraConfig.ALL_LINEAR + ")");
        }
        return out;
    }

    /** Fresh adapters: A Kaiming-uniform with a = √5 (bound 1/√in, as PEFT/nn.Linear), B zeros. */
    public static LoraModel init(ModelConfig model, LoraConfig config, long seed) {
        Random random = new Random(seed);
        Map<String, long[]> linears = EncoderWeights.linearModules(model);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        for (String module : targetModules(model, config)) {
            long[] shape = linears.get(module);    // [out, in]
            int out = (int) shape[0], in = (int) shape[1];
            double bound = 1.0 / Math.sqrt(in);   // gain √(2/(1+5)) · √(3/in)
            float[] a = new float[config.r() * in];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
            adapters.put(module, new LoraAdapter(Nd4j.createFromArray(a).reshape(config.r(), in),
                    Nd4j.zeros(DataType.FLOAT, out, config.r())));
        }
        return new LoraModel(config, adapters);
    }

    /**
     * adapter_config.json's {@code target_modules}: a regular expression that matches exactly the adapted
     * modules ({@link PeftTargets}), since PEFT would also wrap transformers' {@code pooler.dense} for a
     * list holding {@code dense}.
     */
    String savedTargets() {
        return PeftTargets.regex(adapters.keySet());
    }

    /**
     * Writes adapter_config.json, adapter_model.safetensors and the card README.md (each atomically) into {@code dir}.
     *
     * @param baseModel base_model_name_or_path: the base's Hub id or path as given ({@code ModelCache.nameOrPath})
     */
    public void save(Path dir, String baseModel) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        adapters.forEach((module, ad) -> {
            w.addFloats(PREFIX + module + ".lora_A.weight", ad.a().dup().data().asFloat(), ad.a().shape());
            w.addFloats(PREFIX + module + ".lora_B.weight", ad.b().dup().data().asFloat(), ad.b().shape());
        });
        baseTensors.forEach((name, t) -> w.addFloats(PREFIX + savedKey(name), t.dup().data().asFloat(), t.shape()));
        w.write(dir.resolve(WEIGHTS_FILE));
        ObjectNode c = JSON.createObjectNode();
        c.putObject("alpha_pattern");
        c.putNull("auto_mapping");
        c.put("base_model_name_or_path", baseModel);
        c.put("bias", config.bias().peftName());
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("layers_pattern");
        c.putNull("layers_to_transform");
        c.put("lora_alpha", config.alpha());
        c.put("lora_dropout", config.dropout());
        if (config.modulesToSave().isEmpty()) {
            c.putNull("modules_to_save");
        } else {
            var save = c.putArray("modules_to_save");
            config.modulesToSave().forEach(save::add);
        }
        c.put("peft_type", "LORA");
        c.put("r", config.r());
        c.putObject("rank_pattern");
        c.putNull("revision");
        c.put("target_modules", savedTargets());
        c.put("task_type", "FEATURE_EXTRACTION");
        c.put("use_dora", false);
        c.put("use_rslora", config.useRslora());
        AtomicFiles.write(dir.resolve(CONFIG_FILE), JSON.writeValueAsBytes(c));
        AdapterCard.write(dir, RunFacts.of(baseModel));   // a run with more facts rewrites it (AdapterCard.write)
    }

    /**
     * The key a trained base tensor is saved under, after {@code base_model.model.}: PEFT ≥ 0.7 wraps
     * each adapted linear, so that linear's own bias is {@code <module>.base_layer.bias} in its state
     * dict (and only that key loads back into a PEFT model); every other tensor keeps its name.
     */
    String savedKey(String name) {
        if (name.endsWith(".bias")) {
            String module = name.substring(0, name.length() - ".bias".length());
            if (adapters.containsKey(module)) {
                return module + ".base_layer.bias";
            }
        }
        return name;
    }

    /** Reads PEFT's layout, checking every adapter against the model it belongs to. */
    public static LoraModel load(Path dir, ModelConfig model) throws IOException {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(configFile, "no such file (a PEFT adapter directory needs it)");
        }
        JsonNode c = JSON.readTree(configFile.toFile());
        if (!"LORA".equals(c.path("peft_type").asText())) {
            throw new ModelFormatException(configFile, "peft_type should be LORA, found " + c.get("peft_type"));
        }
        List<String> targets = new ArrayList<>();
        JsonNode t = c.path("target_modules");
        if (t.isTextual()) {
            // PEFT's regex form (re.fullmatch on the module path), as embedtune writes it
            List<String> matched;
            try {
                matched = PeftTargets.matching(t.textValue(), EncoderWeights.linearModules(model).keySet());
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(configFile, e.getMessage());
            }
            if (matched.isEmpty()) {
                throw new ModelFormatException(configFile, "target_modules \"" + t.textValue() + "\" matches no linear module of this "
                        + model.modelType() + " model");
            }
            targets.addAll(PeftTargets.asNames(matched, EncoderWeights.linearModules(model).keySet()));
        } else {
            t.forEach(n -> targets.add(n.asText()));
        }
        List<String> toSave = new ArrayList<>();
        c.path("modules_to_save").forEach(m -> toSave.add(m.asText()));
        LoraConfig config;
        List<String> trained;
        try {
            config = new LoraConfig(c.path("r").asInt(), c.path("lora_alpha").asDouble(), c.path("lora_dropout").asDouble(),
                    targets, c.path("use_rslora").asBoolean(false), LoraBias.parse(c.path("bias").asText("none")), toSave);
            trained = TrainedBaseTensors.names(model, config);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configFile, e.getMessage());
        }
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        Map<String, INDArray> baseTensors = new LinkedHashMap<>();
        Path weights = dir.resolve(WEIGHTS_FILE);
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            Map<String, long[]> linears = EncoderWeights.linearModules(model);
            List<String> modules;
            try {
                modules = targetModules(model, config);
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(configFile, e.getMessage());
            }
            for (String module : modules) {
                long[] shape = linears.get(module);
                INDArray a = read(f, weights, PREFIX + module + ".lora_A.weight", new long[] {config.r(), shape[1]});
                INDArray b = read(f, weights, PREFIX + module + ".lora_B.weight", new long[] {shape[0], config.r()});
                adapters.put(module, new LoraAdapter(a, b));
            }
            for (String name : trained) {
                // PEFT ≥ 0.7 keeps an adapted linear's own bias under <module>.base_layer.bias
                String key = PREFIX + name, wrapped = PREFIX + name.replace(".bias", ".base_layer.bias");
                baseTensors.put(name, read(f, weights, f.contains(key) || !f.contains(wrapped) ? key : wrapped,
                        EncoderWeights.shapes(model).get(name)));
            }
        }
        return new LoraModel(config, adapters, baseTensors);
    }

    private static INDArray read(SafetensorsFile f, Path file, String key, long[] expected) throws IOException {
        if (!f.contains(key)) {
            throw new ModelFormatException(file, "missing adapter tensor '" + key + "'");
        }
        long[] found = f.info(key).shape();
        if (!java.util.Arrays.equals(found, expected)) {
            throw new ModelFormatException(file, "adapter tensor '" + key + "' has shape " + java.util.Arrays.toString(found)
                    + ", expected " + java.util.Arrays.toString(expected));
        }
        return Nd4j.createFromArray(FiniteValues.requireFinite(f.getFloats(key), file, key)).reshape(expected);
    }

    /** The base weights with every adapter merged in (W + scale · B · A) and the trained base tensors in place. */
    public Map<String, INDArray> merge(Map<String, INDArray> baseWeights) {
        Map<String, INDArray> merged = new LinkedHashMap<>(baseWeights);
        merged.putAll(baseTensors);
        adapters.forEach((module, ad) -> merged.put(module + ".weight",
                baseWeights.get(module + ".weight").add(ad.delta(config.scale()))));
        return merged;
    }
}
