package dev.embedtune.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Native buffers of a pass, freed at once rather than when the garbage collector gets to them. */
public final class Buffers {
    private Buffers() {
    }

    /** Closes every array that is not null and can be closed (views cannot). */
    public static void close(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && a.closeable()) {
                a.close();
            }
        }
    }
}
