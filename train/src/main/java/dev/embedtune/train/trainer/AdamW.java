package dev.embedtune.train.trainer;

import dev.embedtune.autodiff.kernels.AdamUpdate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam with decoupled weight decay, step for step as {@code torch.optim.AdamW} (single-tensor path,
 * {@code amsgrad=False}, {@code maximize=False}), which is what Hugging Face's Trainer uses:
 *
 * <pre>
 * t += 1
 * p  ← p · (1 − lr·wd)                      (decoupled decay, before the moment updates)
 * m  ← β1·m + (1 − β1)·g
 * v  ← β2·v + (1 − β2)·g²
 * denom = sqrt(v) / sqrt(1 − β2^t) + ε      (ε added after the bias correction, as torch does)
 * p  ← p − lr / (1 − β1^t) · m / denom
 * </pre>
 *
 * The moments are ND4J arrays of each parameter's shape and data type (FLOAT or DOUBLE), updated
 * in place ({@link AdamUpdate}: one pass per parameter on the CPU, ND4J ops elsewhere) with one
 * scratch buffer per parameter, so a step allocates nothing. Which parameters
 * decay is {@code decayed}'s choice; the Trainer uses {@link #decayedLikeHuggingFace}.
 *
 * <p>Reference: Loshchilov &amp; Hutter, "Decoupled Weight Decay Regularization", arXiv:1711.05101.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Predicate<String> decayed;
    private final Map<String, INDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, INDArray> expAvgSq = new LinkedHashMap<>();
    private final Map<String, INDArray> scratch = new LinkedHashMap<>();
    private long stepCount;

    /**
     * @param parameters the parameters this optimizer will update (for names, shapes and data types)
     * @param decayed which parameter names get weight decay (e.g. {@code n -> true})
     */
    public AdamW(Map<String, INDArray> parameters, double beta1, double beta2, double epsilon, double weightDecay,
            Predicate<String> decayed) {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("adam_beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("adam_beta2 must be in [0, 1), got " + beta2);
        }
        if (!(epsilon >= 0)) {
            throw new IllegalArgumentException("adam_epsilon must be >= 0, got " + epsilon);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.decayed = decayed;
        parameters.forEach((name, p) -> {
            if (!p.dataType().isFPType()) {
                throw new IllegalArgumentException("parameter " + name + ": expected a floating-point array, found " + p.dataType());
            }
            expAvg.put(name, Nd4j.zeros(p.dataType(), p.shape()));
            expAvgSq.put(name, Nd4j.zeros(p.dataType(), p.shape()));
            scratch.put(name, Nd4j.zeros(p.dataType(), p.shape()));
        });
    }

    /**
     * Hugging Face Trainer's rule ({@code get_decay_parameter_names}): no decay for biases (any name
     * containing "bias") and LayerNorm parameters; LoRA matrices decay.
     */
    public static boolean decayedLikeHuggingFace(String name) {
        return !name.contains("bias") && !name.contains("LayerNorm");
    }

    /** The same, with the defaults of torch and HF: betas (0.9, 0.999), eps 1e-8, decay on every parameter. */
    public AdamW(Map<String, INDArray> parameters, double weightDecay) {
        this(parameters, 0.9, 0.999, 1e-8, weightDecay, name -> true);
    }

    /**
     * One update of every parameter in place.
     *
     * @param parameters the arrays to update, by name (the names given at construction)
     * @param gradients the gradient of each, same names and shapes
     * @param lr this step's learning rate (from the schedule)
     */
    public void step(Map<String, INDArray> parameters, Map<String, INDArray> gradients, double lr) {
        stepCount++;
        double biasCorrection1 = 1 - Math.pow(beta1, stepCount);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, stepCount));
        double stepSize = lr / biasCorrection1;
        for (Map.Entry<String, INDArray> e : parameters.entrySet()) {
            String name = e.getKey();
            INDArray p = e.getValue();
            INDArray g = gradients.get(name);
            INDArray m = expAvg.get(name);
            if (g == null || m == null) {
                throw new IllegalArgumentException("parameter " + name + " has " + (g == null ? "no gradient" : "no optimizer state")
                        + "; optimizer state holds " + expAvg.keySet());
            }
            if (!Arrays.equals(g.shape(), p.shape())) {
                throw new IllegalArgumentException("gradient of " + name + ": expected shape " + Arrays.toString(p.shape())
                        + ", found " + Arrays.toString(g.shape()));
            }
            INDArray v = expAvgSq.get(name);
            INDArray tmp = scratch.get(name);
            double decay = weightDecay != 0 && decayed.test(name) ? 1 - lr * weightDecay : 1;
            AdamUpdate.apply(p, g, m, v, tmp, decay, beta1, beta2, biasCorrection2Sqrt, epsilon, stepSize);
        }
    }

    /** How many steps have been taken (torch's {@code state['step']}; the same for every parameter). */
    public long stepCount() {
        return stepCount;
    }

    /** The first moments (torch's {@code exp_avg}) by parameter name; live arrays. */
    public Map<String, INDArray> firstMoments() {
        return expAvg;
    }

    /** The second moments (torch's {@code exp_avg_sq}) by parameter name; live arrays. */
    public Map<String, INDArray> secondMoments() {
        return expAvgSq;
    }

    /**
     * Restores the state of a checkpoint: copies the moments into this optimizer's arrays.
     *
     * @throws IllegalArgumentException naming a parameter that is missing or has another shape
     */
    public void restore(long steps, Map<String, INDArray> firstMoments, Map<String, INDArray> secondMoments) {
        copyInto(expAvg, firstMoments, "exp_avg");
        copyInto(expAvgSq, secondMoments, "exp_avg_sq");
        this.stepCount = steps;
    }

    private static void copyInto(Map<String, INDArray> target, Map<String, INDArray> source, String what) {
        for (Map.Entry<String, INDArray> e : target.entrySet()) {
            INDArray s = source.get(e.getKey());
            if (s == null) {
                throw new IllegalArgumentException(what + " of parameter " + e.getKey() + " is missing from the checkpoint");
            }
            if (!Arrays.equals(s.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException(what + " of parameter " + e.getKey() + ": expected shape "
                        + Arrays.toString(e.getValue().shape()) + ", found " + Arrays.toString(s.shape()));
            }
            e.getValue().assign(s);
        }
    }
}
