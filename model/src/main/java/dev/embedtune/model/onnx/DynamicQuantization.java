package dev.embedtune.model.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Dynamic int8 quantisation of a graph, as ONNX Runtime's {@code quantize_dynamic} writes it
 * (onnxruntime/quantization: IntegerOps mode, weight type QInt8, no reduce_range, MatMulConstBOnly;
 * per_channel as chosen — the exporter uses per_channel=True, see {@link #apply(GraphBuilder)}):
 * <ul>
 *   <li>each MatMul whose right operand W [K, N] is a float initializer becomes
 *   <pre>
 *   A_quantized, A_scale, A_zero_point = DynamicQuantizeLinear(A)      (uint8, once per activation A)
 *   Y = Cast(MatMulInteger(A_quantized, W_quantized, A_zero_point, W_zero_point), float)
 *       · (A_scale · W_scale)
 *   </pre>
 *   with W symmetric int8, per tensor or per output column n: scale = max|W| / 127 (computed as
 *   2·max|W| / 254 in double, then float32), zero point 0, W_quantized = round_half_even(W / scale)
 *   clipped to [−128, 127];</li>
 *   <li>each Gather from a float initializer E (an embedding table) gathers from E_quantized, uint8
 *   asymmetric per tensor (scale = (max − min) / 255 over a range that includes 0, zero point
 *   round(−min / scale)), followed by DequantizeLinear.</li>
 * </ul>
 * Names follow the quantizer's: {@code <W>_quantized}, {@code <W>_scale}, {@code <W>_zero_point},
 * {@code <node>_quant}, {@code <output>_output_quantized}.
 */
final class DynamicQuantization {
    private DynamicQuantization() {
    }

    /**
     * quantize_dynamic(per_channel=True): per-column weight scales. On all-MiniLM-L6-v2 per-tensor
     * scales lose too much (mean cosine to float32 0.955 on 1,000 Jargon texts, against 0.991 per
     * column; docs/BENCHMARKS.md), as one outlier column sets the step of every other.
     *
     * @return the number of initializers quantised
     */
    static int apply(GraphBuilder g) {
        return apply(g, true);
    }

    /** Rewrites {@code g} in place; returns the number of initializers quantised. */
    static int apply(GraphBuilder g, boolean perChannel) {
        List<GraphBuilder.Node> out = new ArrayList<>();
        Map<String, String[]> quantizedActivations = new HashMap<>();   // A → {A_quantized, A_scale, A_zero_point}
        int count = 0;
        for (GraphBuilder.Node n : g.nodes) {
            if (n.opType().equals("MatMul") && isFloatInitializer(g, n.inputs().get(1))) {
                String a = n.inputs().get(0), w = n.inputs().get(1), y = n.outputs().get(0);
                String[] qa = quantizedActivations.computeIfAbsent(a, k -> {
                    String[] names = {k + "_quantized", k + "_scale", k + "_zero_point"};
                    out.add(node("DynamicQuantizeLinear", k + "_QuantizeLinear", List.of(k), List.of(names)));
                    return names;
                });
                String[] qw = quantizeWeightInt8(g, w, perChannel);
                String integer = y + "_output_quantized";
                String name = n.name() + "_quant";
                out.add(node("MatMulInteger", name, List.of(qa[0], qw[0], qa[2], qw[2]), List.of(integer)));
                out.add(new GraphBuilder.Node("Cast", integer + "_cast", List.of(integer), List.of(integer + "_cast_output"),
                        List.of(GraphBuilder.Attribute.i("to", GraphBuilder.FLOAT))));
                String scales = name + "_scales_mul:0";
                out.add(node("Mul", name + "_scales_mul", List.of(qa[1], qw[1]), List.of(scales)));
                out.add(node("Mul", name + "_output_scale_mul", List.of(integer + "_cast_output", scales), List.of(y)));
                count++;
            } else if (n.opType().equals("Gather") && isFloatInitializer(g, n.inputs().get(0))) {
                String e = n.inputs().get(0), y = n.outputs().get(0);
                String[] qe = quantizeTableUint8(g, e);
                List<String> inputs = new ArrayList<>(n.inputs());
                inputs.set(0, qe[0]);
                out.add(new GraphBuilder.Node("Gather", n.name(), inputs, List.of(y + "_quantized"), n.attributes()));
                out.add(node("DequantizeLinear", y + "_DequantizeLinear", List.of(y + "_quantized", qe[1], qe[2]), List.of(y)));
                count++;
            } else {
                out.add(n);
            }
        }
        g.nodes.clear();
        g.nodes.addAll(out);
        return count;
    }

    private static GraphBuilder.Node node(String op, String name, List<String> inputs, List<String> outputs) {
        return new GraphBuilder.Node(op, name, inputs, outputs, List.of());
    }

    private static boolean isFloatInitializer(GraphBuilder g, String name) {
        GraphBuilder.Tensor t = g.initializers.get(name);
        return t != null && t.dataType() == GraphBuilder.FLOAT;
    }

    /**
     * Replaces the float initializer {@code w} [K, N] by its int8 form, one scale for the tensor or one
     * per column; returns {quantized, scale, zero point}.
     */
    private static String[] quantizeWeightInt8(GraphBuilder g, String w, boolean perChannel) {
        GraphBuilder.Tensor t = g.initializers.remove(w);
        float[] data = t.floats();
        int columns = perChannel ? (int) t.dims()[t.dims().length - 1] : 1;
        float[] absMax = new float[columns];
        for (int i = 0; i < data.length; i++) {
            absMax[i % columns] = Math.max(absMax[i % columns], Math.abs(data[i]));
        }
        float[] scales = new float[columns];
        for (int c = 0; c < columns; c++) {
            // compute_scale_zp with symmetric=True over [−127, 127]: (rmax − rmin) / (qmax − qmin) in double, then float32
            double scale64 = (2.0 * absMax[c]) / 254.0;
            scales[c] = scale64 < Float.MIN_NORMAL ? 1f : (float) scale64;
        }
        byte[] q = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            q[i] = (byte) clamp(Math.rint(data[i] / scales[i % columns]), -128, 127);
        }
        String[] names = {w + "_quantized", w + "_scale", w + "_zero_point"};
        g.initializers.put(names[0], GraphBuilder.Tensor.ofBytes(GraphBuilder.INT8, q, t.dims()));
        if (perChannel) {
            g.initializers.put(names[1], GraphBuilder.Tensor.ofFloats(scales, columns));
            g.initializers.put(names[2], GraphBuilder.Tensor.ofBytes(GraphBuilder.INT8, new byte[columns], columns));
        } else {
            g.initializers.put(names[1], GraphBuilder.Tensor.ofFloats(scales));
            g.initializers.put(names[2], GraphBuilder.Tensor.ofBytes(GraphBuilder.INT8, new byte[1]));
        }
        return names;
    }

    /** Replaces the float table {@code e} by its uint8 form; returns {quantized, scale, zero point}. */
    private static String[] quantizeTableUint8(GraphBuilder g, String e) {
        GraphBuilder.Tensor t = g.initializers.remove(e);
        float[] data = t.floats();
        float min = 0, max = 0;    // the range always includes 0, so that 0 is exact
        for (float v : data) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double scale64 = (max - min) / 255.0;   // the range's width in float32, as numpy subtracts it
        float scale;
        int zeroPoint;
        if (scale64 < Float.MIN_NORMAL) {
            scale = 1f;
            zeroPoint = 0;
        } else {
            zeroPoint = (int) clamp(Math.rint(0 - min / scale64), 0, 255);
            scale = (float) scale64;
        }
        byte[] q = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            q[i] = (byte) clamp(Math.rint(data[i] / scale) + zeroPoint, 0, 255);
        }
        return put(g, e, GraphBuilder.UINT8, q, t.dims(), scale, (byte) zeroPoint);
    }

    private static String[] put(GraphBuilder g, String name, int type, byte[] q, long[] dims, float scale, byte zeroPoint) {
        String[] names = {name + "_quantized", name + "_scale", name + "_zero_point"};
        g.initializers.put(names[0], GraphBuilder.Tensor.ofBytes(type, q, dims));
        g.initializers.put(names[1], GraphBuilder.Tensor.ofFloats(new float[] {scale}));
        g.initializers.put(names[2], GraphBuilder.Tensor.ofBytes(type, new byte[] {zeroPoint}));
        return names;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
