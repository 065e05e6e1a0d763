package dev.embedtune.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Dropout masks: statistics, scaling, determinism, row independence, and the two paths agreeing. */
class DropoutMaskTest {

    @Test
    void dropsAboutPAndScalesTheRestByOneOverOneMinusP() {
        for (double p : new double[] {0.1, 0.5}) {
            INDArray mask = Nd4j.create(DataType.FLOAT, 1000, 1000);
            DropoutMask.fill(mask, p, new long[] {11, 12, 13, 14}, 3);
            float[] v = mask.data().asFloat();
            long dropped = 0;
            for (float x : v) {
                if (x == 0) {
                    dropped++;
                } else {
                    assertEquals((float) (1 / (1 - p)), x, "kept entries are scaled by exactly 1/(1 − p)");
                }
            }
            // binomial over 1e6 entries: standard deviation √(p(1−p)/1e6) ≤ 5e-4; 0.003 is 6 of them
            assertEquals(p, dropped / 1e6, 0.003, "fraction dropped at p = " + p);
        }
    }

    @Test
    void zeroProbabilityKeepsEverythingAtOne() {
        INDArray mask = Nd4j.create(DataType.DOUBLE, 64, 33);
        DropoutMask.fill(mask, 0, new long[] {5}, 0);
        assertEquals(64 * 33, mask.eq(1.0).castTo(DataType.INT).sumNumber().intValue());
    }

    @Test
    void sameSeedsSameMaskOtherSeedOrSiteAnotherMask() {
        INDArray a = Nd4j.create(DataType.FLOAT, 4, 50, 16), b = a.ulike(), c = a.ulike(), d = a.ulike();
        DropoutMask.fill(a, 0.2, new long[] {1, 2, 3, 4}, 7);
        DropoutMask.fill(b, 0.2, new long[] {1, 2, 3, 4}, 7);
        DropoutMask.fill(c, 0.2, new long[] {1, 2, 3, 5}, 7);
        DropoutMask.fill(d, 0.2, new long[] {1, 2, 3, 4}, 8);
        assertEquals(a, b);
        assertFalse(a.equals(c) || a.equals(d));
        // a row's mask depends on its own seed only: rows 0–2 equal, row 3 differs
        for (int r = 0; r < 3; r++) {
            assertEquals(a.slice(r), c.slice(r), "row " + r);
        }
        assertFalse(a.slice(3).equals(c.slice(3)));
    }

    /** Rows seeded alone equal the same rows inside a larger batch (what GradCache's mini-batches rely on). */
    @Test
    void aRowDrawsTheSameMaskAloneAsInsideABatch() {
        long[] seeds = {DropoutMask.rowSeed(9, 0), DropoutMask.rowSeed(9, 1), DropoutMask.rowSeed(9, 2)};
        INDArray whole = Nd4j.create(DataType.FLOAT, 3, 2, 5, 5), part = Nd4j.create(DataType.FLOAT, 2, 2, 5, 5);
        DropoutMask.fill(whole, 0.3, seeds, 0);
        DropoutMask.fill(part, 0.3, new long[] {seeds[1], seeds[2]}, 0);
        assertEquals(whole.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3)), part);
    }

    @Test
    void hostAndPortablePathsAndTheDefinitionAgree() {
        long[] seeds = {21, 22, 23};
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray host = Nd4j.create(type, 3, 7, 9), portable = host.ulike();
            DropoutMask.fillHost(host, 0.25, seeds, 4);
            DropoutMask.fillPortable(portable, 0.25, seeds, 4);
            assertEquals(portable, host, type.toString());
            for (int r = 0; r < 3; r++) {
                for (int i = 0; i < 63; i++) {
                    double expected = DropoutMask.value(DropoutMask.siteSeed(seeds[r], 4), i, 0.25);
                    assertEquals(expected, host.getDouble(r * 63L + i), 1e-6, type + " row " + r + " entry " + i);
                }
            }
        }
    }

    @Test
    void packedRowsWrittenIntoABlockOfALargerBufferFollowTheDefinition() {
        // two sequences of 3 and 2 real tokens (padded to 4); the mask is a dense block of a larger buffer, as in a pass's arena
        dev.embedtune.autodiff.TokenLayout layout = dev.embedtune.autodiff.TokenLayout.of(new int[][] {{1, 1, 1, 0}, {1, 1, 0, 0}});
        long[] seeds = {31, 32};
        int w = 9;
        INDArray arena = Nd4j.valueArrayOf(new long[] {40 + 5 * w + 11}, 7f, DataType.FLOAT);
        INDArray mask = arena.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(40, 40 + 5 * w)).reshape(5, w);
        DropoutMask.fillRows(mask, 0.3, layout, seeds, 6);
        for (int r = 0; r < 5; r++) {
            long siteSeed = DropoutMask.siteSeed(seeds[layout.sequence(r)], 6);
            for (int c = 0; c < w; c++) {
                double expected = DropoutMask.value(siteSeed, (long) layout.position(r) * w + c, 0.3);
                assertEquals(expected, mask.getDouble(r, c), 1e-6, "row " + r + " column " + c);
            }
        }
        assertEquals(7f, arena.getFloat(39), "the buffer before the block is untouched");
        assertEquals(7f, arena.getFloat(40 + 5 * w), "the buffer after the block is untouched");
    }

    @Test
    void rejectsAProbabilityOutsideZeroToOne() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DropoutMask.fill(Nd4j.create(DataType.FLOAT, 2, 2), 1.0, new long[] {1}, 0));
        assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
    }
}
