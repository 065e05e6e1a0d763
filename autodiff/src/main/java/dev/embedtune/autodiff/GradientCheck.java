package dev.embedtune.autodiff;

import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Compares analytic gradients with central finite differences, {@code (L(p+ε) − L(p−ε)) / 2ε}, on a
 * random subset of the entries of each parameter. Meant for DOUBLE arrays.
 */
public final class GradientCheck {
    private GradientCheck() {
    }

    /** The worst entry found: its parameter, index, analytic and numeric values, and relative error. */
    public record Result(String parameter, long index, double analytic, double numeric, double relativeError,
            int checked) {
        @Override
        public String toString() {
            return String.format("worst of %d entries: %s[%d] analytic %.10g numeric %.10g relative error %.3g",
                    checked, parameter, index, analytic, numeric, relativeError);
        }
    }

    /**
     * @param parameters the arrays the loss reads (perturbed in place and restored)
     * @param analytic the gradients to check, same names
     * @param loss evaluates the loss for the current parameter values
     * @param samplesPerParameter entries checked per parameter (all if the parameter is smaller)
     * @param floor gradients below this magnitude (both) count by absolute error instead of relative,
     *     since the finite difference carries about ε² · L''' of absolute noise
     */
    public static Result check(Map<String, INDArray> parameters, Map<String, INDArray> analytic, DoubleSupplier loss,
            int samplesPerParameter, double eps, double floor, long seed) {
        Random random = new Random(seed);
        Result worst = null;
        int checked = 0;
        for (Map.Entry<String, INDArray> e : parameters.entrySet()) {
            INDArray p = e.getValue(), g = analytic.get(e.getKey());
            long n = p.length();
            int samples = (int) Math.min(n, samplesPerParameter);
            for (int s = 0; s < samples; s++) {
                long i = samples == n ? s : (long) (random.nextDouble() * n);
                double original = p.getDouble(i);
                p.putScalar(i, original + eps);
                double plus = loss.getAsDouble();
                p.putScalar(i, original - eps);
                double minus = loss.getAsDouble();
                p.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps), a = g.getDouble(i);
                double scale = Math.max(Math.max(Math.abs(a), Math.abs(numeric)), floor);
                double rel = Math.abs(a - numeric) / scale;
                checked++;
                if (worst == null || rel > worst.relativeError()) {
                    worst = new Result(e.getKey(), i, a, numeric, rel, 0);
                }
            }
        }
        return worst == null ? null
                : new Result(worst.parameter(), worst.index(), worst.analytic(), worst.numeric(), worst.relativeError(), checked);
    }
}
