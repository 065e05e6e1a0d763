package dev.embedtune.model.st;

import java.util.Map;

/**
 * sentence-transformers' {@code config_sentence_transformers.json}: the prompts (name → text put
 * before the input, e.g. "query" → "query: "), the prompt used when none is named, the similarity
 * function ("cosine", "dot", "euclidean", "manhattan") and an optional Matryoshka truncation.
 */
public record SentenceTransformersConfig(Map<String, String> prompts, String defaultPromptName,
        String similarityFnName, Integer truncateDim) {

    public static final SentenceTransformersConfig DEFAULT =
            new SentenceTransformersConfig(Map.of(), null, "cosine", null);

    public SentenceTransformersConfig {
        prompts = Map.copyOf(prompts);
    }
}
