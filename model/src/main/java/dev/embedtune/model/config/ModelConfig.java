package dev.embedtune.model.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A Hugging Face {@code config.json}, typed by {@code model_type}. */
public sealed interface ModelConfig permits BertConfig, ModernBertConfig {

    /** The {@code model_type} string of config.json. */
    String modelType();

    int hiddenSize();

    int numHiddenLayers();

    int numAttentionHeads();

    int maxPositionEmbeddings();

    int vocabSize();

    /** config.json as Hugging Face writes it for this model type. */
    ObjectNode toJson();
}
