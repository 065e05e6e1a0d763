package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers every embedding it has computed, so evaluating several Matryoshka dimensions (or
 * several evaluators over the same texts) runs the model once per distinct text.
 */
public final class CachingEncoder implements TextEncoder {

    private final TextEncoder base;
    private final Map<String, float[]> cache = new HashMap<>();
    private long computed;

    public CachingEncoder(TextEncoder base) {
        this.base = base;
    }

    @Override
    public float[][] encode(List<String> texts) {
        java.util.LinkedHashSet<String> wanted = new java.util.LinkedHashSet<>();
        for (String t : texts) {
            if (!cache.containsKey(t)) {
                wanted.add(t);
            }
        }
        List<String> missing = new ArrayList<>(wanted);
        if (!missing.isEmpty()) {
            float[][] rows = base.encode(missing);
            if (rows.length != missing.size()) {
                throw new IllegalStateException("encoder returned " + rows.length + " embeddings for "
                        + missing.size() + " texts");
            }
            for (int i = 0; i < rows.length; i++) {
                cache.put(missing.get(i), rows[i]);
            }
            computed += rows.length;
        }
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = cache.get(texts.get(i));
        }
        return out;
    }

    /** How many texts the base encoder has been asked to encode. */
    public long computedCount() {
        return computed;
    }
}
