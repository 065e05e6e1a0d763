package dev.embedtune.model;

import dev.embedtune.model.bert.BertWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.modernbert.ModernBertWeights;
import dev.embedtune.model.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weights of an encoder of any supported architecture by Hugging Face name: their shapes, the
 * linear modules LoRA can adapt, and reading them from a checkpoint with names and shapes checked.
 */
public final class EncoderWeights {
    private EncoderWeights() {
    }

    /** Every parameter's name and shape, in module order. */
    public static Map<String, long[]> shapes(ModelConfig config) {
        if (config instanceof BertConfig bert) {
            Map<String, long[]> s = new LinkedHashMap<>();
            BertWeights.names(bert).forEach(n -> s.put(n, BertWeights.shape(bert, n)));
            return s;
        }
        return ModernBertWeights.shapes((ModernBertConfig) config);
    }

    /**
     * The encoder's linear layers (not the embeddings) by module path, e.g.
     * {@code encoder.layer.0.attention.self.query} or {@code layers.0.attn.Wqkv}, with their weight shape [out, in].
     */
    public static Map<String, long[]> linearModules(ModelConfig config) {
        Map<String, long[]> out = new LinkedHashMap<>();
        shapes(config).forEach((name, shape) -> {
            if (shape.length == 2 && name.endsWith(".weight") && !name.startsWith("embeddings.")) {
                out.put(name.substring(0, name.length() - ".weight".length()), shape);
            }
        });
        return out;
    }

    /** Whether a module path names a norm: BERT's {@code *LayerNorm}, ModernBERT's {@code *norm} (attn_norm, final_norm, …). */
    public static boolean isNorm(String module) {
        return module.endsWith("LayerNorm") || module.endsWith("norm");
    }

    /** Reads every weight of {@code config}'s model from {@code weights} as float32, checking presence and shape. */
    public static Map<String, INDArray> read(ModelConfig config, TensorSource weights, Path source) throws IOException {
        Map<String, INDArray> w = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(config).entrySet()) {
            String name = e.getKey();
            if (!weights.contains(name)) {
                throw new ModelFormatException(source, "missing weight '" + name + "' (a " + config.modelType()
                        + " model with " + layers(config) + " layers needs it)");
            }
            long[] found = weights.info(name).shape();
            if (!Arrays.equals(e.getValue(), found)) {
                throw new ModelFormatException(source, "weight '" + name + "' has shape " + Arrays.toString(found)
                        + ", expected " + Arrays.toString(e.getValue()));
            }
            w.put(name, Nd4j.createFromArray(FiniteValues.requireFinite(weights.getFloats(name), weights.file(name), name)).reshape(found));
        }
        return w;
    }

    private static int layers(ModelConfig config) {
        return config instanceof BertConfig bert ? bert.numHiddenLayers() : ((ModernBertConfig) config).numHiddenLayers();
    }
}
