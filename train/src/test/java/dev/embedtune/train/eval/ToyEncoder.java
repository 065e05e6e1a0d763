package dev.embedtune.train.eval;

import dev.embedtune.model.TextEncoder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake model for hand-computed metrics: each text is a whitespace-separated list of numbers and
 * its embedding is exactly those numbers ({@code "3 4 0"} → [3, 4, 0]). Counts the texts it encodes.
 */
final class ToyEncoder implements TextEncoder {

    final Map<String, Integer> encodedTimes = new HashMap<>();
    long encodedTexts;

    @Override
    public float[][] encode(List<String> texts) {
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            String[] parts = texts.get(i).trim().split("\\s+");
            out[i] = new float[parts.length];
            for (int d = 0; d < parts.length; d++) {
                out[i][d] = Float.parseFloat(parts[d]);
            }
            encodedTimes.merge(texts.get(i), 1, Integer::sum);
        }
        encodedTexts += texts.size();
        return out;
    }

    /** An ordered map built from alternating keys and values. */
    static <V> Map<String, V> ordered(Object... kv) {
        Map<String, V> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked")
            V v = (V) kv[i + 1];
            m.put((String) kv[i], v);
        }
        return m;
    }
}
