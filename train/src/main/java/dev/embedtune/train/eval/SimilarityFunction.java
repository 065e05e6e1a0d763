package dev.embedtune.train.eval;

/**
 * Pairwise similarity of two embeddings, as sentence-transformers' {@code pairwise_*} functions:
 * the distances are negated so that for every function a larger value means more similar.
 */
public enum SimilarityFunction {
    /** a·b / (max(|a|, 1e-12) · max(|b|, 1e-12)), as {@code torch.nn.functional.normalize} does. */
    COSINE("cosine"),
    /** a·b. */
    DOT("dot"),
    /** −Σ|a−b|. */
    MANHATTAN("manhattan"),
    /** −√Σ(a−b)². */
    EUCLIDEAN("euclidean");

    private final String key;

    SimilarityFunction(String key) {
        this.key = key;
    }

    /** The name used in metric keys: cosine, dot, manhattan, euclidean. */
    public String key() {
        return key;
    }

    /** The similarity of {@code a} and {@code b}, computed in double precision. */
    public double similarity(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("embeddings of different dimension: " + a.length + " vs " + b.length);
        }
        return switch (this) {
            case COSINE -> dot(a, b) / (Math.max(norm(a), 1e-12) * Math.max(norm(b), 1e-12));
            case DOT -> dot(a, b);
            case MANHATTAN -> {
                double s = 0;
                for (int i = 0; i < a.length; i++) {
                    s += Math.abs((double) a[i] - b[i]);
                }
                yield -s;
            }
            case EUCLIDEAN -> {
                double s = 0;
                for (int i = 0; i < a.length; i++) {
                    double d = (double) a[i] - b[i];
                    s += d * d;
                }
                yield -Math.sqrt(s);
            }
        };
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** Parses a key such as {@code cosine} or {@code dot}. */
    public static SimilarityFunction parse(String key) {
        for (SimilarityFunction f : values()) {
            if (f.key.equalsIgnoreCase(key.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown similarity function '" + key
                + "': expected cosine, dot, manhattan or euclidean");
    }
}
