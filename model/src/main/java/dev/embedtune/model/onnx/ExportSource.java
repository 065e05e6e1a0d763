package dev.embedtune.model.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What an export reads: a model directory, or a PEFT adapter directory merged into its base first
 * (W + scale·B·A, exactly as {@link dev.embedtune.model.lora.LoraMerge} writes a merged model).
 *
 * @param model   the model directory whose config, tokenizer and sentence-transformers files go with the export
 *                (the base, for an adapter)
 * @param weights every parameter by Hugging Face name, row-major float32 (merged, for an adapter)
 * @param adapter the adapter directory that was merged, or null
 * @param sources the directories read (an export must not replace any of them)
 */
record ExportSource(ModelDirectory model, Map<String, float[]> weights, Path adapter, List<Path> sources) {

    /**
     * @param base the adapter's base model directory, or null to take adapter_config.json's
     *             base_model_name_or_path (a directory, or builtin:NAME)
     */
    static ExportSource read(Path dir, Path base) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir, "not a directory");
        }
        boolean isAdapter = Files.isRegularFile(dir.resolve(LoraModel.CONFIG_FILE)) && !Files.isRegularFile(dir.resolve("config.json"));
        if (!isAdapter) {
            if (!Files.isRegularFile(dir.resolve("config.json")) && !Files.isRegularFile(dir.resolve("modules.json"))
                    && Files.isDirectory(dir.resolve("model"))) {
                throw new ModelFormatException(dir, "not a model directory; it has a model/ folder (a fine-tuning run's "
                        + "output?): export " + dir.resolve("model") + " or the adapters in " + dir.resolve("adapter"));
            }
            ModelDirectory md = ModelDirectory.read(dir);
            return new ExportSource(md, floats(read(md)), null, List.of(dir));
        }
        Path baseDir = base != null ? base : adapterBase(dir);
        ModelDirectory md = ModelDirectory.read(baseDir);
        LoraModel lora = LoraModel.load(dir, md.config());
        return new ExportSource(md, floats(lora.merge(read(md))), dir, List.of(dir, baseDir));
    }

    private static Map<String, INDArray> read(ModelDirectory md) throws IOException {
        try (TensorSource source = md.openWeights()) {
            return EncoderWeights.read(md.config(), source, md.transformerDir());
        }
    }

    private static Map<String, float[]> floats(Map<String, INDArray> weights) {
        Map<String, float[]> out = new LinkedHashMap<>();
        weights.forEach((name, a) -> out.put(name, a.dup().data().asFloat()));
        return out;
    }

    /**
     * The adapter's base from adapter_config.json: builtin:NAME, or a directory as given (relative
     * paths from the working directory, then from the adapter's parent).
     */
    private static Path adapterBase(Path adapterDir) throws IOException {
        Path configFile = adapterDir.resolve(LoraModel.CONFIG_FILE);
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(configFile.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(configFile, "not valid JSON: " + e.getMessage());
        }
        String base = config == null ? "" : config.path("base_model_name_or_path").asText("");
        String refusal = adapterDir + " holds only LoRA adapters (adapter_config.json, no config.json), which cannot "
                + "be exported without the model they adapt";
        if (base.isBlank()) {
            throw new ModelFormatException(configFile, refusal + ", and base_model_name_or_path is empty: "
                    + "give the base model directory (--base DIR)");
        }
        if (BuiltinModel.isBuiltin(base)) {
            return ModelCache.builtin(BuiltinModel.of(base));
        }
        List<Path> tried = new ArrayList<>();
        Path given = Path.of(base);
        tried.add(given.toAbsolutePath());
        if (!given.isAbsolute() && adapterDir.toAbsolutePath().getParent() != null) {
            tried.add(adapterDir.toAbsolutePath().getParent().resolve(given).normalize());
        }
        for (Path p : tried) {
            if (Files.isRegularFile(p.resolve("config.json")) || Files.isRegularFile(p.resolve("modules.json"))) {
                return p;
            }
        }
        throw new ModelFormatException(configFile, refusal + ": its base model \"" + base
                + "\" (base_model_name_or_path) is not a model directory here (looked at "
                + String.join(", ", tried.stream().map(Path::toString).toList())
                + "; a Hugging Face model id is not downloaded): give the base model directory (--base DIR)");
    }
}
