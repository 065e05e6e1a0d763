package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.embedtune.model.st.PoolingConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * TrainablePooling's backward reuses its output memory from call to call. A pooling that has run
 * backward on batches of other shapes (larger, then smaller) must give exactly what a fresh one
 * gives (tolerance 0: the same operations on the same inputs), for one mode and for several modes
 * concatenated (cls + mean + max: written, added, scattered); and mean pooling's gradient is checked
 * by hand: dh[b, t] = mask[b, t] / count_b · dp_b (1e-7: float rounding of one division).
 */
class TrainablePoolingTest {
    private static final int H = 8;

    @Test
    void reusedMemoryGivesWhatAFreshPoolingGives() {
        PoolingConfig mean = PoolingConfig.of(PoolingConfig.Mode.MEAN, H);
        PoolingConfig three = new PoolingConfig(H, true, true, true, false, false, false, true);
        for (PoolingConfig config : new PoolingConfig[] {mean, three}) {
            TrainablePooling reused = new TrainablePooling(config, true);
            int[][] shapes = {{3, 7}, {4, 9}, {2, 5}, {4, 9}};   // grows, shrinks, back
            for (int i = 0; i < shapes.length; i++) {
                Nd4j.getRandom().setSeed(100 + i);
                int b = shapes[i][0], t = shapes[i][1];
                INDArray hidden = Nd4j.randn(DataType.FLOAT, (long) b * t, H), mask = mask(b, t);
                INDArray dOut = Nd4j.randn(DataType.FLOAT, b, config.outputDimension());
                TrainablePooling.Saved s1 = new TrainablePooling.Saved(), s2 = new TrainablePooling.Saved();
                reused.forward(hidden, mask, s1);
                INDArray got = reused.backward(dOut, s1).dup();
                TrainablePooling fresh = new TrainablePooling(config, true);
                fresh.forward(hidden, mask, s2);
                INDArray expected = fresh.backward(dOut, s2);
                assertArrayEquals(new long[] {(long) b * t, H}, got.shape());
                assertArrayEquals(expected.data().asFloat(), got.dup().data().asFloat(),
                        config.modes() + ", batch " + i + " " + b + " x " + t);
            }
        }
    }

    @Test
    void meanPoolingGradientByHand() {
        TrainablePooling pooling = new TrainablePooling(PoolingConfig.of(PoolingConfig.Mode.MEAN, H), false);
        int b = 2, t = 4;
        INDArray mask = mask(b, t), dOut = Nd4j.randn(DataType.FLOAT, b, H);
        TrainablePooling.Saved saved = new TrainablePooling.Saved();
        pooling.forward(Nd4j.randn(DataType.FLOAT, b * t, H), mask, saved);
        INDArray dHidden = pooling.backward(dOut, saved);
        for (int i = 0; i < b; i++) {
            double count = mask.getRow(i).sumNumber().doubleValue();
            for (int j = 0; j < t; j++) {
                for (int c = 0; c < H; c++) {
                    double expected = mask.getDouble(i, j) / count * dOut.getDouble(i, c);
                    assertEquals(expected, dHidden.getDouble((long) i * t + j, c), 1e-7, "dh[" + i + ", " + j + ", " + c + "]");
                }
            }
        }
    }

    /** Sequence i has t − i real tokens (at least one). */
    private static INDArray mask(int b, int t) {
        INDArray mask = Nd4j.zeros(DataType.FLOAT, b, t);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < Math.max(1, t - i); j++) {
                mask.putScalar(i, j, 1);
            }
        }
        return mask;
    }
}
