package dev.embedtune.model.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Hand-computed cases of sentence-transformers' quantize_embeddings; the float32 roundings were
 * checked against numpy running the same formula on float32 arrays.
 */
class EmbeddingQuantizerTest {

    private static final float[][] E = {
            {-1.0f, 0.0f, 0.5f},
            {1.0f, 0.0f, 0.25f},
            {0.0f, 0.0f, 1.0f}};

    @Test
    void uint8AndInt8UsePerDimensionRangesOfTheEmbeddings() {
        // dim 0: min -1, max 1, step 2/255 → rows: floor(0)=0, floor(254.99998)=254 (float32: 2 / (2/255)
        //        is just under 255 — numpy 1.x on float32 input gives the same 254), floor(127.5)=127
        // dim 1: min = max = 0, step 0 → 1 → all floor(0) = 0
        // dim 2: min 0.25, max 1, step 0.75/255 → floor(85.0)=85 (0.25/0.0029411765 = 85.00000…), 0, 255
        int[][] u = EmbeddingQuantizer.quantize(E, Precision.UINT8, null);
        assertArrayEquals(new int[] {0, 0, 85}, u[0]);
        assertArrayEquals(new int[] {254, 0, 0}, u[1]);
        assertArrayEquals(new int[] {127, 0, 255}, u[2]);
        int[][] s = EmbeddingQuantizer.quantize(E, Precision.INT8, null);
        assertArrayEquals(new int[] {-128, -128, 85 - 128}, s[0]);
        assertArrayEquals(new int[] {126, -128, -128}, s[1]);
    }

    @Test
    void givenRangesClipOutliers() {
        float[][] ranges = {{0f, 0f, 0f}, {0.5f, 0.5f, 0.5f}};
        // dim 0 of row 1: (1 − 0) / (0.5/255) = 510 → clipped to 255; row 0: −1 → −510 → 0
        int[][] u = EmbeddingQuantizer.quantize(E, Precision.UINT8, ranges);
        assertEquals(0, u[0][0]);
        assertEquals(255, u[1][0]);
        assertEquals(254, u[0][2]);   // 0.5 / (0.5/255) = 254.99998 in float32 (numpy: 254)
    }

    @Test
    void binaryPacksSignBitsMostSignificantFirst() {
        float[][] e = {{1, -1, 0, 2, -3, 0.5f, 0.1f, -0.1f, 7, 0}};   // 10 dims → 2 bytes
        // bits: 1 0 0 1 0 1 1 0 | 1 0 (then 6 zero pad bits) → 0b10010110 = 150, 0b10000000 = 128
        assertArrayEquals(new int[] {150, 128}, EmbeddingQuantizer.quantize(e, Precision.UBINARY, null)[0]);
        assertArrayEquals(new int[] {22, 0}, EmbeddingQuantizer.quantize(e, Precision.BINARY, null)[0]);
    }

    @Test
    void namesParseAndUnknownOnesAreListed() {
        assertEquals(Precision.UBINARY, Precision.parse("ubinary"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("int4"));
        assertEquals("precision must be one of float32, int8, uint8, binary, ubinary; got int4", e.getMessage());
    }
}
