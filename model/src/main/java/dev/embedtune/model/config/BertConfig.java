package dev.embedtune.model.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelFormatException;
import java.nio.file.Path;

/**
 * config.json of a Hugging Face {@code BertModel} (model_type "bert"). Defaults are transformers'
 * {@code BertConfig} defaults where a field is optional.
 */
public record BertConfig(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
        int intermediateSize, String hiddenAct, double hiddenDropoutProb,
        double attentionProbsDropoutProb, int maxPositionEmbeddings, int typeVocabSize,
        double initializerRange, double layerNormEps, int padTokenId) implements ModelConfig {

    public static final String MODEL_TYPE = "bert";

    public BertConfig {
        ConfigChecks.positive("vocab_size", vocabSize);
        ConfigChecks.positive("hidden_size", hiddenSize);
        ConfigChecks.positive("num_hidden_layers", numHiddenLayers);
        ConfigChecks.positive("num_attention_heads", numAttentionHeads);
        ConfigChecks.multipleOfHeads(hiddenSize, numAttentionHeads);
        ConfigChecks.positive("intermediate_size", intermediateSize);
        ConfigChecks.positive("max_position_embeddings", maxPositionEmbeddings);
        ConfigChecks.positive("type_vocab_size", typeVocabSize);
        ConfigChecks.probability("hidden_dropout_prob", hiddenDropoutProb);
        ConfigChecks.probability("attention_probs_dropout_prob", attentionProbsDropoutProb);
        ConfigChecks.positiveFinite("layer_norm_eps", layerNormEps);
        // BertModel's "gelu" is the exact erf GELU, the only activation the encoders compute
        if (!"gelu".equals(hiddenAct)) {
            throw new IllegalArgumentException("hidden_act \"" + hiddenAct + "\" is not supported; embedtune's BERT computes \"gelu\" (exact, erf)");
        }
    }

    @Override
    public String modelType() {
        return MODEL_TYPE;
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    static BertConfig read(Path file, JsonFields f) throws ModelFormatException {
        try {
            return new BertConfig(f.requiredInt("vocab_size"), f.requiredInt("hidden_size"),
                    f.requiredInt("num_hidden_layers"), f.requiredInt("num_attention_heads"),
                    f.requiredInt("intermediate_size"), f.optionalString("hidden_act", "gelu"),
                    f.optionalDouble("hidden_dropout_prob", 0.1),
                    f.optionalDouble("attention_probs_dropout_prob", 0.1),
                    f.optionalInt("max_position_embeddings", 512), f.optionalInt("type_vocab_size", 2),
                    f.optionalDouble("initializer_range", 0.02), f.optionalDouble("layer_norm_eps", 1e-12),
                    f.optionalInt("pad_token_id", 0));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage());
        }
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.putArray("architectures").add("BertModel");
        o.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
        o.put("classifier_dropout", (String) null);
        o.put("hidden_act", hiddenAct);
        o.put("hidden_dropout_prob", hiddenDropoutProb);
        o.put("hidden_size", hiddenSize);
        o.put("initializer_range", initializerRange);
        o.put("intermediate_size", intermediateSize);
        o.put("layer_norm_eps", layerNormEps);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("model_type", MODEL_TYPE);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("pad_token_id", padTokenId);
        o.put("position_embedding_type", "absolute");
        o.put("torch_dtype", "float32");
        o.put("transformers_version", "4.41.2");   // the layout followed (see st.VersionStamps)
        o.put("type_vocab_size", typeVocabSize);
        o.put("use_cache", true);
        o.put("vocab_size", vocabSize);
        return o;
    }
}
