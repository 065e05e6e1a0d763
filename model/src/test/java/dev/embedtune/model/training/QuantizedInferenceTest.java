package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.embed.LayerwiseEncoder;
import dev.embedtune.quant.BlockQuantizer;
import dev.embedtune.quant.Dequantizer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inference with a block-quantised base: {@link LayerwiseEncoder} over packed weights gives the
 * last_hidden_state of the SameDiff {@link BertEncoder} run on the dequantised weights (the
 * quantisation is the only approximation, and it is applied identically). 30 tokens with padding,
 * so the CPU fast paths run both their vector loops and scalar tails. Tolerance: 1e-5 absolute
 * (float32, the same ops in another order, values of order 1).
 */
class QuantizedInferenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"none", "nf4", "fp4", "int8"})
    void layerwiseForwardEqualsSameDiffOnTheDequantisedWeights(String format) {
        BaseQuantization base = BaseQuantization.parse(format);
        Map<String, INDArray> weights = TinyBert.weights(TinyBert.CONFIG, 11);
        Map<String, INDArray> reference = new HashMap<>(weights);
        if (base.quantized()) {
            weights.forEach((name, w) -> {
                if (name.startsWith("encoder.layer.") && name.endsWith(".weight") && !name.contains("LayerNorm")) {
                    reference.put(name, Dequantizer.dequantize(BlockQuantizer.quantize(w.dup().data().asFloat(), w.shape(),
                            base.type(), base.blockSize(), base.doubleQuantize())));
                }
            });
        }
        int[][][] in = TinyBert.batch(new int[] {30, 17, 2}, 30, 5);
        INDArray expected = BertEncoder.fromWeights(TinyBert.CONFIG, reference).forward(in[0], in[1], in[2]);
        LayerwiseEncoder encoder = new LayerwiseEncoder(TinyBert.CONFIG, weights, base);
        INDArray hidden = encoder.forward(in[0], in[1], in[2]);
        INDArray again = encoder.forward(in[0], in[1], in[2]);          // reused buffers give the same result
        for (int i = 0; i < 3; i++) {
            for (int t = 0; t < 30; t++) {
                if (in[1][i][t] == 1) {
                    double diff = Nd4j.math().abs(hidden.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(t)).sub(expected.get(
                            org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.point(t))))
                            .maxNumber().doubleValue();
                    assertTrue(diff < 1e-5, format + ": row " + i + " token " + t + " differs by " + diff);
                }
            }
        }
        assertTrue(hidden.equals(again), format + ": a second forward with reused buffers differs");
        if (base.quantized()) {
            assertTrue(encoder.baseLinearBytes() * 3 < 4L * 2 * (4 * 64 * 64 + 2 * 64 * 96),
                    "packed weights must take well under a third of float32");
        }
    }

    /** The same for ModernBERT (global and sliding-window layers, padding) against its SameDiff graph. */
    @ParameterizedTest
    @ValueSource(strings = {"none", "nf4"})
    void modernBertLayerwiseForwardEqualsSameDiffOnTheDequantisedWeights(String format) {
        BaseQuantization base = BaseQuantization.parse(format);
        dev.embedtune.model.config.ModernBertConfig c = TinyModernBert.CONFIG;
        Map<String, INDArray> weights = TinyModernBert.weights(c, 11);
        Map<String, INDArray> reference = new HashMap<>(weights);
        if (base.quantized()) {
            dev.embedtune.model.EncoderWeights.linearModules(c).keySet().forEach(module -> {
                INDArray w = weights.get(module + ".weight");
                reference.put(module + ".weight", Dequantizer.dequantize(BlockQuantizer.quantize(w.dup().data().asFloat(),
                        w.shape(), base.type(), base.blockSize(), base.doubleQuantize())));
            });
        }
        int[][][] in = TinyModernBert.batch(new int[] {30, 17, 2}, 30, 5);
        INDArray expected = dev.embedtune.model.modernbert.ModernBertEncoder.fromWeights(c, reference).forward(in[0], in[1]);
        INDArray hidden = new LayerwiseEncoder(c, weights, base).forward(in[0], in[1], null);
        double diff = Nd4j.math().abs(hidden.sub(RealTokens.only(expected, in[1]))).maxNumber().doubleValue();   // real tokens
        assertTrue(diff < 1e-5, format + ": max |layerwise − SameDiff| " + diff);
    }
}
