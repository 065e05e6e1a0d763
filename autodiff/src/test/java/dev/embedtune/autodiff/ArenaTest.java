package dev.embedtune.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.kernels.Gemm;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ArenaTest {

    @Test
    void arraysAreDisjointViewsOfOneBufferAndReTakingReusesIt() {
        Arena arena = Arena.sized(DataType.FLOAT, a -> {
            a.take(3, 5);
            a.take(7, 2);
        });
        long capacity = arena.capacity();
        INDArray x = arena.take(3, 5), y = arena.take(7, 2);
        assertTrue(x.isView() && y.isView(), "views of the arena's buffer");
        x.assign(1);
        y.assign(2);
        assertEquals(15.0, x.sumNumber().doubleValue(), 0);
        assertEquals(28.0, y.sumNumber().doubleValue(), 0, "writing y left x alone and the other way round");
        // a GEMM writes through the view into the arena
        Gemm.gemm(Nd4j.ones(DataType.FLOAT, 7, 3), Nd4j.ones(DataType.FLOAT, 3, 2), y, false, false, 1, 0);
        assertEquals(3f, y.getFloat(6, 1), 0);
        arena.reset();
        INDArray again = arena.take(3, 5);
        assertEquals(1f, again.getFloat(2, 4), 0, "re-taking from the start gives the same memory");
        assertThrows(Arena.Full.class, () -> arena.take(capacity, 1));
        arena.close();
    }
}
