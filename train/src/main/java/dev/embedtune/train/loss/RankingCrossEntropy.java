package dev.embedtune.train.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Cross-entropy of score rows whose correct class is on a shifted diagonal: row {@code r} of an
 * {@code [R, C]} score block has its target in column {@code offset + r}. This is
 * {@code nn.CrossEntropyLoss(scores, labels=arange(offset, offset + R))} without the mean, forward
 * and backward.
 *
 * <p>Numerically stable: {@code logZ = m + log(sum(exp(s - m)))} with {@code m} the row maximum, so
 * no {@code exp} overflows at {@code scale = 20} or above.
 */
final class RankingCrossEntropy {

    /**
     * @param lossPerRow {@code logZ_r - s[r, offset + r]}, [R]
     * @param dScores {@code softmax(s)_r - onehot(offset + r)}: the gradient of the SUM of the
     *     per-row losses with respect to the scores, [R, C]
     */
    record Result(INDArray lossPerRow, INDArray dScores) {}

    private RankingCrossEntropy() {}

    static Result forward(INDArray scores, int offset) { // scores: [R, C]
        long rows = scores.size(0);
        INDArray oneHot = Nd4j.zeros(scores.dataType(), rows, scores.size(1));                 // [R, C]
        oneHot.get(NDArrayIndex.all(), NDArrayIndex.interval(offset, offset + rows))
                .assign(Nd4j.eye(rows).castTo(scores.dataType()));
        INDArray rowMax = scores.max(1).reshape(rows, 1);                                      // [R, 1]
        INDArray shifted = scores.subColumnVector(rowMax);                                     // [R, C]
        INDArray exp = Transforms.exp(shifted, true);
        INDArray sumExp = exp.sum(1).reshape(rows, 1);                                         // [R, 1]
        INDArray logZ = Transforms.log(sumExp, true).addi(rowMax);                             // [R, 1]
        INDArray target = scores.mul(oneHot).sum(1).reshape(rows, 1);                          // [R, 1]
        INDArray lossPerRow = logZ.sub(target).reshape(rows);
        INDArray dScores = exp.diviColumnVector(sumExp).subi(oneHot);
        return new Result(lossPerRow, dScores);
    }
}
