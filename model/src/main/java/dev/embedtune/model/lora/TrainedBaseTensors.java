package dev.embedtune.model.lora;

import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.config.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which base-model tensors of an encoder (BERT or ModernBERT) train beside the adapters, by Hugging
 * Face parameter name, as PEFT decides them:
 * <ul>
 *   <li>{@code bias="all"}: every name containing "bias" ({@code encoder.layer.0.attention.self.query.bias},
 *       {@code embeddings.LayerNorm.bias}, …);</li>
 *   <li>{@code bias="lora_only"}: {@code <module>.bias} of each adapted linear;</li>
 *   <li>{@code modules_to_save}: {@code <module>.weight} and {@code .bias} (γ and β, where there is a β)
 *       of each matched norm (BERT's LayerNorms, ModernBERT's *norm modules).</li>
 * </ul>
 * PEFT saves them in adapter_model.safetensors as {@code base_model.model.<name>} (for modules_to_save
 * after stripping {@code modules_to_save.default.}); a merged model carries their trained values.
 * PEFT 0.7 and later keep an adapted linear's own bias at {@code <module>.base_layer.bias} in the
 * state dict: {@link LoraModel#save} writes that key for it (so PEFT loads it back) and
 * {@link LoraModel#load} accepts both.
 */
public final class TrainedBaseTensors {
    private TrainedBaseTensors() {
    }

    /**
     * The trained base tensors in module order (empty for bias "none" and no modules_to_save).
     *
     * @throws IllegalArgumentException when a modules_to_save entry matches no LayerNorm, or a module
     *     that is not a LayerNorm (only LayerNorms have a training backward here)
     */
    public static List<String> names(ModelConfig model, LoraConfig config) {
        List<String> all = List.copyOf(EncoderWeights.shapes(model).keySet());
        Set<String> modules = new LinkedHashSet<>();
        all.forEach(n -> modules.add(n.substring(0, n.lastIndexOf('.'))));
        for (String wanted : config.modulesToSave()) {
            List<String> matched = modules.stream().filter(m -> m.endsWith(wanted)).toList();
            if (matched.isEmpty()) {
                throw new IllegalArgumentException("modules_to_save entry '" + wanted + "' matches no module of this "
                        + model.modelType() + " model; expected a norm, e.g. LayerNorm or embeddings.LayerNorm (BERT), "
                        + "norm or final_norm (ModernBERT)");
            }
            for (String m : matched) {
                if (!EncoderWeights.isNorm(m)) {
                    throw new IllegalArgumentException("modules_to_save entry '" + wanted + "' matches " + m
                            + ", which is not a norm; only norm modules can be trained in full");
                }
            }
        }
        List<String> targets = LoraModel.targetModules(model, config);
        List<String> out = new ArrayList<>();
        for (String name : all) {
            String module = name.substring(0, name.lastIndexOf('.'));
            boolean bias = name.endsWith(".bias");
            boolean trains = switch (config.bias()) {
                case ALL -> name.contains("bias");
                case LORA_ONLY -> bias && targets.contains(module);
                case NONE -> false;
            };
            if (trains || EncoderWeights.isNorm(module) && config.saves(module)) {
                out.add(name);
            }
        }
        return out;
    }
}
