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

    @Test
    void everyArrayStartsOnACacheLine() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int attempt = 0; attempt < 4; attempt++) {    // fresh buffers: the allocator's offsets vary
                Arena arena = Arena.sized(type, a -> {
                    a.take(3, 5);
                    a.take(7, 2);
                    a.take(1, 1);
                });
                for (long[] shape : new long[][] {{3, 5}, {7, 2}, {1, 1}}) {
                    INDArray x = arena.take(shape[0], shape[1]);
                    long address = x.data().addressPointer().address();
                    assertEquals(0, address % 64, type + " array " + java.util.Arrays.toString(shape) + " at " + address);
                }
                arena.close();
            }
        }
    }

    @Test
    void fitGrowsOnceToWhatTheWholePassTakes() {
        Arena arena = new Arena(DataType.FLOAT);
        int[] runs = {0};
        java.util.function.Consumer<Arena> pass = a -> {
            runs[0]++;
            for (int i = 0; i < 200; i++) {
                a.take(64, 48);   // 3,072 elements, already a multiple of the 16-element alignment
            }
        };
        arena.fit(pass);
        // a failed attempt, one counting run, the real run: never one grow per array
        assertEquals(3, runs[0]);
        long whole = 200L * 64 * 48;
        assertTrue(arena.capacity() >= whole && arena.capacity() <= whole + whole / 4 + 16, "capacity " + arena.capacity());
        runs[0] = 0;
        arena.fit(pass);
        assertEquals(1, runs[0], "a pass that fits is taken in one run");
        Arena exact = Arena.sized(DataType.FLOAT, pass);
        assertEquals(whole, exact.capacity(), "sized allocates exactly what the pass takes");
        exact.close();
        arena.close();
    }
}
