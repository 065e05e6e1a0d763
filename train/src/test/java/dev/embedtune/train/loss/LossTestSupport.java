package dev.embedtune.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shared checks for the loss tests: finite differences, float32 against float64, tiny batches. */
final class LossTestSupport {

    /** Central-difference step (the embeddings are O(1)). */
    static final double FD_EPS = 1e-6;
    /**
     * Finite-difference tolerance: |analytic - numeric| / max(|analytic|, |numeric|, 1e-2) <= 1e-6.
     * The floor keeps the check meaningful for near-zero entries, where the round-off of the central
     * difference (about 1e-16 * |L| / eps = 1e-10 * |L|) dominates: it is then an absolute bound of 1e-8.
     */
    static final double FD_REL_TOL = 1e-6;
    static final double FD_FLOOR = 1e-2;
    /**
     * float32 against float64: |x32 - x64| <= 1e-4 * (1 + max|x64|), for the loss and every gradient
     * (float32 carries 6-7 significant digits; scores are scaled by up to 20 before exp).
     */
    static final double FLOAT_TOL = 1e-4;

    private LossTestSupport() {}

    /** A [rows, cols] DOUBLE matrix from literal rows. */
    static INDArray m(double[]... rows) {
        return Nd4j.createFromArray(rows);
    }

    static INDArray v(double... values) {
        return Nd4j.createFromArray(values);
    }

    /** Standard-normal [b, d] matrices, DOUBLE, from java.util.Random (same on every backend). */
    static INDArray[] randomColumns(long seed, int columns, int b, int d) {
        Random r = new Random(seed);
        INDArray[] out = new INDArray[columns];
        for (int c = 0; c < columns; c++) {
            double[][] x = new double[b][d];
            for (double[] row : x) {
                for (int j = 0; j < d; j++) {
                    row[j] = r.nextGaussian();
                }
            }
            out[c] = Nd4j.createFromArray(x);
        }
        return out;
    }

    static INDArray randomUniform(long seed, int n) {
        Random r = new Random(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble();
        }
        return Nd4j.createFromArray(x);
    }

    /** Compares every gradient entry with a central difference of the loss, in DOUBLE. */
    static void assertGradientsMatchFiniteDifferences(EmbeddingLoss loss, EmbeddingBatch batch) {
        assertEquals(DataType.DOUBLE, batch.dataType(), "finite differences need a DOUBLE batch");
        LossValue analytic = loss.compute(batch);
        assertEquals(batch.columnCount(), analytic.gradients().size(), "one gradient per column");
        double worst = 0;
        String worstAt = "";
        for (int c = 0; c < batch.columnCount(); c++) {
            INDArray g = analytic.gradient(c);
            assertEquals(java.util.Arrays.toString(batch.column(c).shape()), java.util.Arrays.toString(g.shape()), "gradient shape of column " + c);
            for (int i = 0; i < batch.batchSize(); i++) {
                for (int j = 0; j < batch.dimension(); j++) {
                    double plus = lossWith(loss, batch, c, i, j, +FD_EPS);
                    double minus = lossWith(loss, batch, c, i, j, -FD_EPS);
                    double numeric = (plus - minus) / (2 * FD_EPS);
                    double a = g.getDouble(i, j);
                    double rel = Math.abs(a - numeric) / Math.max(FD_FLOOR, Math.max(Math.abs(a), Math.abs(numeric)));
                    if (rel > worst) {
                        worst = rel;
                        worstAt = "column " + c + " [" + i + ", " + j + "]: analytic " + a + ", numeric " + numeric;
                    }
                }
            }
        }
        assertTrue(worst <= FD_REL_TOL, "finite-difference relative error " + worst + " > " + FD_REL_TOL + " at " + worstAt);
    }

    private static double lossWith(EmbeddingLoss loss, EmbeddingBatch batch, int c, int i, int j, double delta) {
        List<INDArray> cols = new ArrayList<>();
        for (INDArray col : batch.columns()) {
            cols.add(col.dup());
        }
        INDArray x = cols.get(c);
        x.putScalar(new long[] {i, j}, x.getDouble(i, j) + delta);
        return loss.compute(batch.withColumns(cols)).loss();
    }

    /** The same batch in FLOAT gives the same loss and gradients as in DOUBLE, within {@link #FLOAT_TOL}. */
    static void assertFloatMatchesDouble(EmbeddingLoss loss, EmbeddingBatch doubleBatch) {
        List<INDArray> floatCols = new ArrayList<>();
        for (INDArray col : doubleBatch.columns()) {
            floatCols.add(col.castTo(DataType.FLOAT));
        }
        EmbeddingBatch floatBatch = new EmbeddingBatch(floatCols,
                doubleBatch.hasLabels() ? doubleBatch.labels().castTo(DataType.FLOAT) : null);
        LossValue d = loss.compute(doubleBatch);
        LossValue f = loss.compute(floatBatch);
        assertEquals(d.loss(), f.loss(), FLOAT_TOL * (1 + Math.abs(d.loss())), "loss float32 vs float64");
        for (int c = 0; c < d.gradients().size(); c++) {
            INDArray g64 = d.gradient(c);
            INDArray g32 = f.gradient(c);
            assertEquals(DataType.FLOAT, g32.dataType(), "gradient " + c + " keeps the batch's data type");
            double diff = g32.castTo(DataType.DOUBLE).sub(g64).amaxNumber().doubleValue();
            double bound = FLOAT_TOL * (1 + g64.amaxNumber().doubleValue());
            assertTrue(diff <= bound, "gradient " + c + " float32 vs float64: max diff " + diff + " > " + bound);
        }
    }

    /** Max |a - b| over all entries. */
    static double maxAbsDiff(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }

    static void assertArrayClose(INDArray expected, INDArray actual, double tol, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what + " shape");
        double diff = maxAbsDiff(expected.castTo(DataType.DOUBLE), actual.castTo(DataType.DOUBLE));
        assertTrue(diff <= tol, what + ": max |diff| " + diff + " > " + tol + "\nexpected " + expected + "\nactual " + actual);
    }
}
