package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.bert.LayerwiseBertEncoder;
import dev.embedtune.quant.BlockQuantizer;
import dev.embedtune.quant.Dequantizer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inference with a block-quantised base: {@link LayerwiseBertEncoder} over packed weights gives the
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
        LayerwiseBertEncoder encoder = new LayerwiseBertEncoder(TinyBert.CONFIG, weights, base);
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
}
