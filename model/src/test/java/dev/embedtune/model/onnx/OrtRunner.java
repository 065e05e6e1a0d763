package dev.embedtune.model.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX Runtime (the reference we did not write) running an exported model.onnx, fed by our
 * tokenizer in batches: the outputs, and last_hidden_state pooled here in double precision by the
 * model's own rule, independently of both the graph's pooling and {@link dev.embedtune.model.pooling.Pooling}.
 */
final class OrtRunner implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtRunner(Path onnx) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(2);
        session = env.createSession(onnx.toString(), options);
    }

    Set<String> inputNames() throws OrtException {
        return session.getInputNames();
    }

    List<String> outputNames() throws OrtException {
        return List.copyOf(session.getOutputNames());
    }

    /** Every output for one batch: last_hidden_state float[B][T][H], sentence_embedding float[B][D]. */
    Map<String, Object> run(BatchEncoding b) throws OrtException {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, toLong(b.inputIds())));
            in.put("attention_mask", OnnxTensor.createTensor(env, toLong(b.attentionMask())));
            if (session.getInputNames().contains("token_type_ids")) {
                in.put("token_type_ids", OnnxTensor.createTensor(env, toLong(b.tokenTypeIds())));
            }
            try (OrtSession.Result r = session.run(in)) {
                Map<String, Object> out = new HashMap<>();
                for (Map.Entry<String, OnnxValue> e : r) {
                    out.put(e.getKey(), e.getValue().getValue());
                }
                return out;
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * Embeds {@code texts} in batches of {@code batch} by ascending token count (so other companions
     * and other padding than the Embedder's, which sorts longest first): {sentence_embedding or null,
     * last_hidden_state pooled here}, in input order.
     */
    float[][][] embed(List<String> texts, Tokenizer tok, int batch, PoolingConfig.Mode pooling, boolean normalize)
            throws OrtException {
        int[] lengths = texts.stream().mapToInt(t -> tok.encode(t).ids().length).toArray();
        Integer[] order = java.util.stream.IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> lengths[i]));
        float[][] graph = null, pooled = new float[texts.size()][];
        for (int start = 0; start < order.length; start += batch) {
            List<String> part = new java.util.ArrayList<>();
            for (int k = start; k < Math.min(order.length, start + batch); k++) {
                part.add(texts.get(order[k]));
            }
            BatchEncoding b = tok.encodeBatch(part);
            Map<String, Object> out = run(b);
            float[][][] hidden = (float[][][]) out.get(OnnxExporter.LAST_HIDDEN_STATE);
            float[][] sentence = (float[][]) out.get(OnnxExporter.SENTENCE_EMBEDDING);
            if (sentence != null && graph == null) {
                graph = new float[texts.size()][];
            }
            for (int i = 0; i < part.size(); i++) {
                pooled[order[start + i]] = pool(hidden[i], b.attentionMask()[i], pooling, normalize);
                if (sentence != null) {
                    graph[order[start + i]] = sentence[i];
                }
            }
        }
        return new float[][][] {graph, pooled};
    }

    /** Mean or CLS pooling and L2 normalisation, in double. */
    static float[] pool(float[][] hidden, int[] mask, PoolingConfig.Mode mode, boolean normalize) {
        int h = hidden[0].length;
        double[] v = new double[h];
        if (mode == PoolingConfig.Mode.CLS) {
            for (int j = 0; j < h; j++) {
                v[j] = hidden[0][j];
            }
        } else if (mode == PoolingConfig.Mode.MEAN) {
            int n = 0;
            for (int t = 0; t < mask.length; t++) {
                if (mask[t] == 1) {
                    n++;
                    for (int j = 0; j < h; j++) {
                        v[j] += hidden[t][j];
                    }
                }
            }
            for (int j = 0; j < h; j++) {
                v[j] /= n;
            }
        } else {
            throw new IllegalArgumentException("reference pooling for " + mode);
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = normalize ? Math.sqrt(norm) : 1;
        float[] out = new float[h];
        for (int j = 0; j < h; j++) {
            out[j] = (float) (v[j] / norm);
        }
        return out;
    }

    static long[][] toLong(int[][] a) {
        long[][] out = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new long[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                out[i][j] = a[i][j];
            }
        }
        return out;
    }

    /** max |a − b| over all entries. */
    static double maxAbsDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                throw new AssertionError("row " + i + ": length " + a[i].length + " vs " + b[i].length);
            }
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
