package dev.embedtune.model.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.embedtune.model.onnx.BuiltinModel;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** ONNX Runtime running the original ONNX export of a built-in model: the reference forward pass. */
public final class OnnxRuntimeReference implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OnnxRuntimeReference(BuiltinModel model) throws IOException, OrtException {
        byte[] bytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(model.onnxResource())) {
            bytes = in.readAllBytes();
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(2);
        session = env.createSession(bytes, options);
    }

    /** last_hidden_state [B][T][H] for int64 inputs built from the given ids. */
    public float[][][] lastHiddenState(int[][] ids, int[][] mask, int[][] types) throws OrtException {
        try (OnnxTensor i = OnnxTensor.createTensor(env, toLong(ids));
             OnnxTensor m = OnnxTensor.createTensor(env, toLong(mask));
             OnnxTensor t = OnnxTensor.createTensor(env, toLong(types));
             OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", t))) {
            return (float[][][]) r.get(0).getValue();
        }
    }

    private static long[][] toLong(int[][] a) {
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
