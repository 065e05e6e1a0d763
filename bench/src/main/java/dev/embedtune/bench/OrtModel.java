package dev.embedtune.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.embedtune.model.onnx.BuiltinModel;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime (Java) running a built-in model's original ONNX export, configured as its users are
 * told to for CPU throughput: graph optimisation ALL, sequential execution, intra-op threads = the
 * cores. Feeds only the inputs the graph declares (bge-small has no token_type_ids in some exports).
 */
final class OrtModel implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtModel(BuiltinModel model) throws IOException, OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
        options.setInterOpNumThreads(1);
        try (InputStream in = OrtModel.class.getClassLoader().getResourceAsStream(model.onnxResource())) {
            if (in == null) {
                throw new IOException("classpath resource " + model.onnxResource() + " missing");
            }
            session = env.createSession(in.readAllBytes(), options);
        }
    }

    /** last_hidden_state [B, T, H] of one batch. */
    float[][][] run(long[][] ids, long[][] mask, long[][] types) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (String name : session.getInputNames()) {
                long[][] data = switch (name) {
                    case "input_ids" -> ids;
                    case "attention_mask" -> mask;
                    case "token_type_ids" -> types;
                    default -> throw new IllegalStateException("ONNX input " + name + " not known to the benchmark");
                };
                feeds.put(name, OnnxTensor.createTensor(env, data));
            }
            try (OrtSession.Result r = session.run(feeds)) {
                return (float[][][]) r.get(0).getValue();
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
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

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
