package dev.embedtune.model.card;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.EmbedtuneVersion;
import dev.embedtune.model.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An adapter directory's {@code README.md} as PEFT writes it ({@code PeftModel.create_or_update_model_card}
 * over huggingface_hub's model card template): metadata with {@code library_name: peft}, the base model
 * and the {@code base_model:adapter:…} and {@code lora} tags; the adapter's settings read from its
 * adapter_config.json; how to load it; the run's data, loss, settings and evaluation tables; and the
 * framework versions, where embedtune names itself instead of a PEFT version that did not run.
 */
public final class AdapterCard {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterCard() {
    }

    /** Writes {@code <adapterDir>/README.md} (atomically) for the adapter_config.json already there. */
    public static void write(Path adapterDir, RunFacts facts) throws IOException {
        AtomicFiles.write(adapterDir.resolve(ModelCard.FILE), text(adapterDir, facts).getBytes(StandardCharsets.UTF_8));
    }

    public static String text(Path adapterDir, RunFacts facts) throws IOException {
        Path configFile = adapterDir.resolve("adapter_config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(configFile, "no such file (an adapter card describes the adapter it configures)");
        }
        JsonNode c = JSON.readTree(configFile.toFile());
        String base = facts.baseModel();
        boolean hub = CardText.isHubId(base);

        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("base_model", hub ? base : null);
        meta.put("library_name", "peft");
        List<String> tags = new ArrayList<>();
        if (hub) {
            tags.add("base_model:adapter:" + base);
        }
        tags.addAll(List.of("lora", "sentence-transformers", "embedtune"));
        CardText.lossNames(facts.loss()).forEach(l -> tags.add("loss:" + l));
        meta.put("tags", tags);

        StringBuilder s = new StringBuilder(CardText.frontMatter(meta));
        s.append("\n# Model Card for a LoRA adapter of ").append(base).append("\n\n")
                .append("LoRA adapters (https://arxiv.org/abs/2106.09685) for the encoder of ").append(CardText.baseModelLink(base))
                .append(", trained with embedtune as a text-embedding model")
                .append(facts.datasetName() != null ? " on " + facts.datasetName() : "").append(".\n");

        s.append("\n## Model Details\n\n### Model Description\n\n")
                .append("- **Model type:** LoRA adapter (PEFT layout) for a sentence-transformers encoder\n")
                .append("- **Finetuned from model:** ").append(CardText.baseModelLink(base)).append('\n')
                .append("- **Rank (r):** ").append(c.path("r").asText()).append('\n')
                .append("- **lora_alpha:** ").append(c.path("lora_alpha").asText())
                .append(c.path("use_rslora").asBoolean(false) ? " (rsLoRA: scale alpha/√r)" : " (scale alpha/r)").append('\n')
                .append("- **lora_dropout:** ").append(c.path("lora_dropout").asText()).append('\n')
                .append("- **target_modules:** `").append(c.path("target_modules").isTextual()
                        ? c.path("target_modules").textValue() : c.path("target_modules").toString())
                .append("` (the adapted modules exactly)\n")
                .append("- **bias:** ").append(c.path("bias").asText("none")).append('\n');
        JsonNode save = c.path("modules_to_save");
        if (save.isArray() && !save.isEmpty()) {
            s.append("- **modules_to_save:** ").append(save).append('\n');
        }

        s.append("\n## How to Get Started with the Model\n\n```python\nfrom sentence_transformers import SentenceTransformer\n\n")
                .append("model = SentenceTransformer(\"").append(hub ? base : "path/to/the/base/model").append("\")\n")
                .append("model.load_adapter(\"path/to/this/adapter\")\n")
                .append("embeddings = model.encode([\"hacker\", \"a clever programming trick\"])\n```\n\n")
                .append("or with PEFT directly: `PeftModel.from_pretrained(AutoModel.from_pretrained(base), \"path/to/this/adapter\")`. ")
                .append("The merged model (the adapters added into the base weights) needs no PEFT.\n");

        if (facts.datasetName() != null || facts.loss() != null || !facts.settings().isEmpty()) {
            s.append("\n## Training Details\n");
            if (facts.datasetName() != null || facts.trainingSamples() != null) {
                s.append("\n### Training Data\n\n").append(facts.datasetName() != null ? facts.datasetName() : "Unnamed dataset");
                if (facts.trainingSamples() != null) {
                    s.append(String.format(Locale.ROOT, ": %,d training samples", facts.trainingSamples()));
                }
                s.append('\n');
            }
            s.append("\n### Training Procedure\n\n");
            if (facts.loss() != null) {
                s.append("- Loss: `").append(facts.loss()).append("`\n");
            }
            s.append(CardText.settings(facts.settings()));
        }
        if (!facts.evaluations().isEmpty()) {
            s.append("\n## Evaluation\n\n### Results\n").append(CardText.evaluations(facts.evaluations()));
        }
        s.append("\n### Framework versions\n\n- embedtune ").append(EmbedtuneVersion.get())
                .append(" (PEFT's adapter layout: adapter_config.json and adapter_model.safetensors)\n");
        return s.toString();
    }
}
