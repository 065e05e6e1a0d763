package dev.embedtune.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BlockQuantizationTest {

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * 0.05f;
        }
        return v;
    }

    @Test
    void nf4HandCaseCodesAndNibbleOrder() {
        float[] x = new float[32];
        x[0] = 2.0f;    // absmax 2 → scaled 1 → code 15
        x[1] = -2.0f;   // −1 → code 0
        x[2] = 0.0f;    // 0 → code 7
        x[3] = 0.16f;   // 0.08 → nearest 0.0796 → code 8
        QuantizedTensor q = BlockQuantizer.quantize(x, new long[] {32}, QuantType.NF4, 32, false);
        INDArray packed = q.packed();
        assertEquals(16, packed.length());
        assertEquals(0xF0, (int) packed.getDouble(0));   // high nibble = element 0
        assertEquals(0x78, (int) packed.getDouble(1));
        assertEquals(0x77, (int) packed.getDouble(2));   // zeros → code 7 twice
        assertEquals(2.0f, q.absmax().getFloat(0));
        assertEquals(2.0f * 0.07958029955625534f, Dequantizer.valueAt(q, 3), 0f);
    }

    @Test
    void onAMidpointTheLowerCodeWins() {
        NearestCode nf4 = new NearestCode(QuantType.NF4);
        float mid = (0.0f + 0.07958029955625534f) / 2f;
        assertEquals(7, nf4.nibble(mid));                         // 0.0, not 0.0796
        assertEquals(8, nf4.nibble(Math.nextUp(mid)));
        NearestCode fp4 = new NearestCode(QuantType.FP4);
        assertEquals(0b1101, fp4.nibble(-0.5f));                  // sign bit + 6/12 at index 0b101
        assertEquals(0b0011, fp4.nibble(1.0f));                   // 12/12 at index 0b011
        assertEquals(0, fp4.nibble(0.0f));
    }

    @Test
    void blockSizesOutsideTheRangeAreRejected() {
        for (int bad : new int[] {16, 48, 8192}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BlockQuantizer.quantize(new float[64], new long[] {64}, QuantType.NF4, bad, false));
            assertTrue(e.getMessage().contains("32 to 4096") && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
    }

    /** Half the largest gap between neighbouring code values: the worst rounding, in units of absmax. */
    private static float worstHalfGap(QuantType type) {
        if (type == QuantType.INT8) {
            return 0.5f / 127f;
        }
        float[] c = type.code();
        java.util.Arrays.sort(c);
        float g = 0;
        for (int i = 1; i < c.length; i++) {
            g = Math.max(g, (c[i] - c[i - 1]) / 2f);
        }
        return g;
    }

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void roundTripErrorIsBoundedAndNd4jEqualsTheScalarDefinition(QuantType type) {
        for (int block : new int[] {32, 64, 4096}) {
            for (boolean dq : new boolean[] {false, true}) {
                float[] x = gaussian(70 * 37, block + (dq ? 1 : 0));          // 2,590: a partial last block
                QuantizedTensor q = BlockQuantizer.quantize(x, new long[] {70, 37}, type, block, dq);
                INDArray deq = Dequantizer.dequantize(q);                  // the CPU fast path on this backend
                assertArrayEquals(new long[] {70, 37}, deq.shape());
                float[] flat = deq.reshape(-1).toFloatVector();
                float[] portable = Dequantizer.dequantizePortable(q).reshape(-1).toFloatVector();
                for (int i = 0; i < x.length; i++) {
                    float reference = Dequantizer.valueAt(q, i);
                    assertEquals(reference, flat[i], 0f, type + " block " + block + " element " + i);   // bit for bit
                    assertEquals(reference, portable[i], 0f, type + " portable, block " + block + " element " + i);
                    if (!dq) {
                        float absmax = q.absmax().getFloat(i / block);
                        // nearest code: error ≤ absmax · half the widest gap (+ float32 rounding)
                        assertTrue(Math.abs(x[i] - flat[i]) <= absmax * worstHalfGap(type) * 1.0001f + 1e-7f,
                                type + " element " + i + ": " + x[i] + " → " + flat[i]);
                    }
                }
            }
        }
    }

    /** The CPU path decodes 4,096 elements at a time: chunk edges, a partial last block and an odd total. */
    @ParameterizedTest
    @EnumSource(QuantType.class)
    void aTensorOfManyChunksEqualsTheScalarDefinition(QuantType type) {
        int n = 3 * 4096 + 1001;                                               // odd: the last byte holds one code
        for (int block : new int[] {64, 4096}) {
            float[] x = gaussian(n, block);
            QuantizedTensor q = BlockQuantizer.quantize(x, new long[] {n}, type, block, true);
            float[] flat = Dequantizer.dequantize(q).toFloatVector();
            for (int i = 0; i < n; i++) {
                assertEquals(Dequantizer.valueAt(q, i), flat[i], 0f, type + " block " + block + " element " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void anOddLengthDequantisesIntoAPreallocatedArrayOfAnyFloatType(QuantType type) {
        float[] x = gaussian(21, 7);                                            // odd: the last byte holds one code
        QuantizedTensor q = BlockQuantizer.quantize(x, new long[] {3, 7}, type, 32, true);
        INDArray intoFloat = Nd4j.create(DataType.FLOAT, 3, 7), intoDouble = Nd4j.create(DataType.DOUBLE, 3, 7);
        Dequantizer.dequantizeInto(q, intoFloat);
        Dequantizer.dequantizeInto(q, intoDouble);
        for (int i = 0; i < 21; i++) {
            assertEquals(Dequantizer.valueAt(q, i), intoFloat.getFloat(i / 7, i % 7), 0f, "element " + i);
            assertEquals(Dequantizer.valueAt(q, i), intoDouble.getDouble(i / 7, i % 7), 0.0, "element " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> Dequantizer.dequantizeInto(q, Nd4j.create(DataType.FLOAT, 4, 7)));
    }

    @Test
    void nf4FitsGaussianWeightsBetterThanFp4() {
        float[] x = gaussian(64 * 512, 3);
        double[] mse = new double[2];
        QuantType[] types = {QuantType.NF4, QuantType.FP4};
        for (int t = 0; t < 2; t++) {
            float[] deq = Dequantizer.dequantize(BlockQuantizer.quantize(x, new long[] {x.length}, types[t], 64, false)).toFloatVector();
            for (int i = 0; i < x.length; i++) {
                mse[t] += (x[i] - deq[i]) * (x[i] - deq[i]) / x.length;
            }
        }
        assertTrue(mse[0] < mse[1], "NF4 MSE " + mse[0] + " vs FP4 " + mse[1]);
    }

    @Test
    void doubleQuantisationStoresAbout4point127BitsPerParameter() {
        int n = 64 * 256 * 4;
        float[] x = gaussian(n, 5);
        QuantizedTensor single = BlockQuantizer.quantize(x, new long[] {n}, QuantType.NF4, 64, false);
        QuantizedTensor dq = BlockQuantizer.quantize(x, new long[] {n}, QuantType.NF4, 64, true);
        assertEquals(4.5, single.bitsPerParameter(), 1e-12);                        // 4 + 32/64
        assertEquals(4 + 8.0 / 64 + 32.0 / (64 * 256) + 32.0 / n, dq.bitsPerParameter(), 1e-12);
        assertEquals(4.127, dq.bitsPerParameter(), 1e-3);
        // The decoded scales stay within the dynamic code's resolution of the true absmax values.
        float[] decoded = Dequantizer.scales(dq).toFloatVector();
        float[] exact = single.absmax().toFloatVector();
        float absmax2 = dq.scales().absmax2().maxNumber().floatValue();
        for (int b = 0; b < exact.length; b++) {
            assertEquals(exact[b], decoded[b], absmax2 * 0.01f, "block " + b);   // widest dynamic-code half gap < 0.01
        }
    }

    @Test
    void theDynamicCodeHas256SortedValuesFromMinusOneToOne() {
        float[] v = DynamicCode.values();
        assertEquals(256, v.length);
        assertEquals(1.0f, v[255]);
        assertEquals(-0.9929688f, v[0], 1e-6f);   // −(0.1 + 0.9·(127.5/128))·10^0 ≈ −0.99297
        for (int i = 1; i < v.length; i++) {
            assertTrue(v[i] >= v[i - 1]);
        }
        assertEquals(0.0f, v[DynamicCode.nearest(0f)]);
    }
}
