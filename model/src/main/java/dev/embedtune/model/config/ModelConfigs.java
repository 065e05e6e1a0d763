package dev.embedtune.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads and writes config.json, choosing the typed config by {@code model_type}. */
public final class ModelConfigs {
    public static final List<String> SUPPORTED = List.of(BertConfig.MODEL_TYPE, ModernBertConfig.MODEL_TYPE);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelConfigs() {
    }

    /**
     * @throws ModelFormatException naming the file: missing, not JSON, a missing or mistyped
     *     field, or an unsupported {@code model_type} (the message lists the supported ones)
     */
    public static ModelConfig read(Path configJson) throws IOException {
        if (!Files.isRegularFile(configJson)) {
            throw new ModelFormatException(configJson, "no such file (a Hugging Face model directory needs config.json)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(configJson.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(configJson, "not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(configJson, "should hold a JSON object");
        }
        JsonFields f = new JsonFields(configJson, root);
        String type = f.requiredString("model_type");
        return switch (type) {
            case BertConfig.MODEL_TYPE -> BertConfig.read(configJson, f);
            case ModernBertConfig.MODEL_TYPE -> ModernBertConfig.read(configJson, f);
            default -> throw new ModelFormatException(configJson, "model_type \"" + type
                    + "\" is not supported; supported: " + String.join(", ", SUPPORTED));
        };
    }

    /** Writes config.json (pretty-printed, as transformers does) to a temporary name, then renames it. */
    public static void write(ModelConfig config, Path configJson) throws IOException {
        AtomicFiles.write(configJson, JSON.writeValueAsBytes(dev.embedtune.model.st.VersionStamps.configJson(config.toJson())));
    }
}
