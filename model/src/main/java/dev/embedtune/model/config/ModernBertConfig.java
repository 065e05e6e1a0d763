package dev.embedtune.model.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelFormatException;
import java.nio.file.Path;

/**
 * config.json of a Hugging Face {@code ModernBertModel} (model_type "modernbert"). Optional fields
 * default to transformers' {@code ModernBertConfig} defaults (ModernBERT-base).
 */
public record ModernBertConfig(int vocabSize, int hiddenSize, int intermediateSize,
        int numHiddenLayers, int numAttentionHeads, String hiddenActivation,
        int maxPositionEmbeddings, double initializerRange, double normEps, boolean normBias,
        int padTokenId, int eosTokenId, int bosTokenId, int clsTokenId, int sepTokenId,
        double globalRopeTheta, boolean attentionBias, double attentionDropout,
        int globalAttnEveryNLayers, int localAttention, double localRopeTheta,
        double embeddingDropout, boolean mlpBias, double mlpDropout) implements ModelConfig {

    public static final String MODEL_TYPE = "modernbert";

    public ModernBertConfig {
        ConfigChecks.positive("vocab_size", vocabSize);
        ConfigChecks.positive("hidden_size", hiddenSize);
        ConfigChecks.positive("intermediate_size", intermediateSize);
        ConfigChecks.positive("num_hidden_layers", numHiddenLayers);
        ConfigChecks.positive("num_attention_heads", numAttentionHeads);
        ConfigChecks.multipleOfHeads(hiddenSize, numAttentionHeads);
        ConfigChecks.positive("max_position_embeddings", maxPositionEmbeddings);
        ConfigChecks.nonNegative("local_attention", localAttention);
        ConfigChecks.positiveFinite("norm_eps", normEps);
        ConfigChecks.positiveFinite("global_rope_theta", globalRopeTheta);
        ConfigChecks.positiveFinite("local_rope_theta", localRopeTheta);
        ConfigChecks.probability("attention_dropout", attentionDropout);
        ConfigChecks.probability("embedding_dropout", embeddingDropout);
        ConfigChecks.probability("mlp_dropout", mlpDropout);
        if ((hiddenSize / numAttentionHeads) % 2 != 0) {
            throw new IllegalArgumentException("the head dimension hidden_size / num_attention_heads = "
                    + hiddenSize / numAttentionHeads + " must be even for the rotary position embedding");
        }
        if (!"gelu".equals(hiddenActivation)) {
            throw new IllegalArgumentException("hidden_activation \"" + hiddenActivation
                    + "\" is not supported; embedtune's ModernBERT computes \"gelu\" (exact, erf)");
        }
        if (globalAttnEveryNLayers < 1) {
            throw new IllegalArgumentException("global_attn_every_n_layers must be >= 1, got " + globalAttnEveryNLayers);
        }
    }

    @Override
    public String modelType() {
        return MODEL_TYPE;
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Layers whose index is a multiple of global_attn_every_n_layers attend globally. */
    public boolean isGlobalLayer(int layer) {
        return layer % globalAttnEveryNLayers == 0;
    }

    static ModernBertConfig read(Path file, JsonFields f) throws ModelFormatException {
        try {
            return new ModernBertConfig(f.requiredInt("vocab_size"), f.requiredInt("hidden_size"),
                    f.requiredInt("intermediate_size"), f.requiredInt("num_hidden_layers"),
                    f.requiredInt("num_attention_heads"), f.optionalString("hidden_activation", "gelu"),
                    f.optionalInt("max_position_embeddings", 8192), f.optionalDouble("initializer_range", 0.02),
                    f.optionalDouble("norm_eps", 1e-5), f.optionalBoolean("norm_bias", false),
                    f.optionalInt("pad_token_id", 50283), f.optionalInt("eos_token_id", 50282),
                    f.optionalInt("bos_token_id", 50281), f.optionalInt("cls_token_id", 50281),
                    f.optionalInt("sep_token_id", 50282), f.optionalDouble("global_rope_theta", 160000.0),
                    f.optionalBoolean("attention_bias", false), f.optionalDouble("attention_dropout", 0.0),
                    f.optionalInt("global_attn_every_n_layers", 3), f.optionalInt("local_attention", 128),
                    f.optionalDouble("local_rope_theta", 10000.0), f.optionalDouble("embedding_dropout", 0.0),
                    f.optionalBoolean("mlp_bias", false), f.optionalDouble("mlp_dropout", 0.0));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage());
        }
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.putArray("architectures").add("ModernBertModel");
        o.put("attention_bias", attentionBias);
        o.put("attention_dropout", attentionDropout);
        o.put("bos_token_id", bosTokenId);
        o.put("cls_token_id", clsTokenId);
        o.put("embedding_dropout", embeddingDropout);
        o.put("eos_token_id", eosTokenId);
        o.put("global_attn_every_n_layers", globalAttnEveryNLayers);
        o.put("global_rope_theta", globalRopeTheta);
        o.put("hidden_activation", hiddenActivation);
        o.put("hidden_size", hiddenSize);
        o.put("initializer_range", initializerRange);
        o.put("intermediate_size", intermediateSize);
        o.put("local_attention", localAttention);
        o.put("local_rope_theta", localRopeTheta);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("mlp_bias", mlpBias);
        o.put("mlp_dropout", mlpDropout);
        o.put("model_type", MODEL_TYPE);
        o.put("norm_bias", normBias);
        o.put("norm_eps", normEps);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("pad_token_id", padTokenId);
        o.put("sep_token_id", sepTokenId);
        o.put("torch_dtype", "float32");
        o.put("transformers_version", "4.48.0");   // the layout followed: the first release with ModernBERT
        o.put("vocab_size", vocabSize);
        return o;
    }
}
