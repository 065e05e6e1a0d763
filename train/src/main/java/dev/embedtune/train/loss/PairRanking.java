package dev.embedtune.train.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The ranking objective shared by {@link CoSENTLoss} and {@link AnglELoss}, forward and backward:
 * <pre>
 *   L = log( 1 + sum over (i, j) with label_i &lt; label_j of exp(scale * (sim_i - sim_j)) )
 * </pre>
 * As in sentence-transformers, pairs outside the condition are pushed out of the log-sum-exp by
 * subtracting {@code 1e12} (their {@code exp} is exactly 0), and the {@code 1} is a zero logit.
 */
final class PairRanking {

    /** Subtracted from the logits of pairs that are not ordered, as sentence-transformers does. */
    private static final double MASKED = 1e12;

    /**
     * @param loss the value
     * @param dSimilarity dL/d(sim), [N]
     */
    record Result(double loss, INDArray dSimilarity) {}

    private PairRanking() {}

    static Result forward(INDArray similarity, INDArray labels, double scale) { // similarity, labels: [N]
        long n = similarity.length();
        INDArray s = similarity.reshape(n).mul(scale);
        INDArray zeros = Nd4j.zeros(similarity.dataType(), n, n);
        INDArray logits = zeros.addColumnVector(s.reshape(n, 1)).subiRowVector(s.reshape(1, n));     // s_i - s_j, [N, N]
        INDArray l = labels.reshape(n);
        INDArray ordered = zeros.addRowVector(l.reshape(1, n)).subiColumnVector(l.reshape(n, 1))     // l_j - l_i
                .gt(0.0).castTo(similarity.dataType());                                              // [N, N]
        INDArray masked = logits.subi(ordered.rsub(1.0).muli(MASKED));
        // Stable log(exp(0) + sum exp(masked)): shift by m = max(0, max masked logit).
        double m = Math.max(0.0, masked.maxNumber().doubleValue());
        INDArray exp = Transforms.exp(masked.subi(m), true);                                         // [N, N]
        double z = Math.exp(-m) + exp.sumNumber().doubleValue();
        double loss = m + Math.log(z);
        INDArray weights = exp.divi(z);                                                              // dL/d(logit_ij)
        // logit_ij = scale * (sim_i - sim_j): sim_i gets +row sums, sim_j gets -column sums.
        INDArray dSim = weights.sum(1).subi(weights.sum(0)).muli(scale);
        return new Result(loss, dSim);
    }
}
