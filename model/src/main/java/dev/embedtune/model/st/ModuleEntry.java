package dev.embedtune.model.st;

/**
 * One entry of sentence-transformers' {@code modules.json}: the module at position {@code idx},
 * stored in the sub-folder {@code path} ("" for the root), of Python class {@code type}.
 */
public record ModuleEntry(int idx, String name, String path, String type) {
    public static final String TRANSFORMER = "sentence_transformers.models.Transformer";
    public static final String POOLING = "sentence_transformers.models.Pooling";
    public static final String NORMALIZE = "sentence_transformers.models.Normalize";
    public static final String DENSE = "sentence_transformers.models.Dense";

    /** The class name without its Python package, e.g. "Pooling". */
    public String simpleType() {
        return type.substring(type.lastIndexOf('.') + 1);
    }
}
