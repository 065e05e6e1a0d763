package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The int8 rewrite on a two-node graph: quantised values worked out by hand from onnxruntime's
 * quantize_data rules, and ONNX Runtime running the rewritten graph as the ONNX operators define
 * DynamicQuantizeLinear, MatMulInteger and DequantizeLinear.
 */
class DynamicQuantizationTest {
    /** W [3, 2]: max |W| = 127/64, so scale = 2·(127/64)/254 = 1/64 exactly; 32.5 is a tie (to even: 32). */
    private static final float[] W = {-0.5f, 0.25f, 1.984375f, 0f, -1f, 0.5078125f};
    /** E [2, 3]: range [−1, 2], scale 3/255, zero point round(1 / (3/255)) = 85. */
    private static final float[] E = {-1f, 0.6f, 2f, 0f, 1f, 1.2f};

    private static GraphBuilder graph() {
        GraphBuilder g = new GraphBuilder(17);
        String x = g.input("x", GraphBuilder.FLOAT, 1L, 3L);
        String ids = g.input("ids", GraphBuilder.INT64, 2L);
        g.output("y", g.op("MatMul", x, g.weight("w", W, 3, 2)), GraphBuilder.FLOAT, 1L, 2L);
        g.output("e", g.op("Gather", g.weight("table", E, 2, 3), ids), GraphBuilder.FLOAT, 2L, 3L);
        return g;
    }

    @Test
    void perTensorAsQuantizeDynamicDoes() {
        GraphBuilder g = graph();
        assertEquals(2, DynamicQuantization.apply(g, false));
        assertFalse(g.initializers.containsKey("w") || g.initializers.containsKey("table"), "float copies removed");
        GraphBuilder.Tensor w = g.initializers.get("w_quantized");
        assertEquals(GraphBuilder.INT8, w.dataType());
        assertArrayEquals(new long[] {3, 2}, w.dims());
        assertArrayEquals(new byte[] {-32, 16, 127, 0, -64, 32}, w.bytes());
        assertEquals(1f / 64, g.initializers.get("w_scale").floats()[0]);
        assertArrayEquals(new byte[] {0}, g.initializers.get("w_zero_point").bytes());

        GraphBuilder.Tensor e = g.initializers.get("table_quantized");
        assertEquals(GraphBuilder.UINT8, e.dataType());
        assertArrayEquals(new byte[] {0, (byte) 136, (byte) 255, 85, (byte) 170, (byte) 187}, e.bytes());
        assertEquals((float) (3.0 / 255), g.initializers.get("table_scale").floats()[0]);
        assertArrayEquals(new byte[] {85}, g.initializers.get("table_zero_point").bytes());

        assertEquals(List.of("DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul", "Identity", "Gather",
                "DequantizeLinear", "Identity"), g.nodes.stream().map(GraphBuilder.Node::opType).toList());
    }

    @Test
    void perChannelAsQuantizeDynamicDoesWithPerChannelTrue() {
        GraphBuilder g = graph();
        assertEquals(2, DynamicQuantization.apply(g));
        // column 0 {−0.5, 127/64, −1}: scale 1/64; column 1 {0.25, 0, 0.5078125}: scale 2·0.5078125/254,
        // so 0.25 / scale = 62.52… → 63 and 0.5078125 → 127
        assertArrayEquals(new byte[] {-32, 63, 127, 0, -64, 127}, g.initializers.get("w_quantized").bytes());
        assertArrayEquals(new float[] {1f / 64, (float) (2 * 0.5078125 / 254)}, g.initializers.get("w_scale").floats());
        assertArrayEquals(new long[] {2}, g.initializers.get("w_scale").dims());
        assertArrayEquals(new byte[] {0, 0}, g.initializers.get("w_zero_point").bytes());
    }

    @Test
    void onnxRuntimeComputesWhatTheOperatorsDefine() throws Exception {
        GraphBuilder g = graph();
        DynamicQuantization.apply(g);
        byte[] model = OnnxModelWriter.model(g, "test").toByteArray();
        float[] x = {0.7f, -0.3f, 1.1f};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor xt = OnnxTensor.createTensor(env, new float[][] {x});
             OnnxTensor it = OnnxTensor.createTensor(env, new long[] {1, 0});
             OrtSession.Result r = s.run(Map.of("x", xt, "ids", it))) {
            float[][] y = (float[][]) r.get("y").get().getValue();
            float[][] e = (float[][]) r.get("e").get().getValue();

            // DynamicQuantizeLinear (uint8): scale = (max(x, 0) − min(x, 0)) / 255, zero point = round(−min / scale)
            float xs = (1.1f - -0.3f) / 255f;
            int xzp = (int) Math.rint(0.3f / xs);
            int[] xq = new int[3];
            for (int i = 0; i < 3; i++) {
                xq[i] = (int) Math.max(0, Math.min(255, Math.rint(x[i] / xs) + xzp));
            }
            // MatMulInteger with a per-column weight scale (the default, per_channel=True)
            byte[] wq = g.initializers.get("w_quantized").bytes();
            float[] ws = g.initializers.get("w_scale").floats();
            for (int c = 0; c < 2; c++) {
                int acc = 0;
                for (int i = 0; i < 3; i++) {
                    acc += (xq[i] - xzp) * wq[i * 2 + c];
                }
                assertEquals(acc * (xs * ws[c]), y[0][c], 1e-6f, "y[" + c + "]");
            }
            // DequantizeLinear: (q − 85) · scale, rows 1 then 0
            float es = (float) (3.0 / 255);
            assertArrayEquals(new float[] {(85 - 85) * es, (170 - 85) * es, (187 - 85) * es}, e[0], 0f);
            assertArrayEquals(new float[] {(0 - 85) * es, (136 - 85) * es, (255 - 85) * es}, e[1], 0f);
        }
    }
}
