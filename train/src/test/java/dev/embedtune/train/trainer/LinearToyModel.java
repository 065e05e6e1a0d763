package dev.embedtune.train.trainer;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.train.loss.EmbeddingBatch;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.LossValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A toy {@link TrainableModel} shaped like a LoRA layer, with an exact hand-written backward:
 *
 * <pre>
 * X = dropout(features(text))           [B, F]  fixed random features per text; mask from dropoutSeed
 * E = X·W0 + (X·A)·B                    [B, D]  W0 [F, D] frozen, A [F, R] and B [R, D] trained
 * dA += s · Xᵀ·(dE·Bᵀ)                  dB += s · (X·A)ᵀ·dE      (s = lossScale, dE from the loss)
 * </pre>
 *
 * Dropout makes a resumed run depend on getting the dropout seeds right. {@link #nanAtCall} makes the
 * n-th forwardBackward call (0-based) return NaN, for the non-finite-loss test.
 */
final class LinearToyModel implements TrainableModel {

    static final int F = 6;
    static final int R = 2;
    static final int D = 4;

    final DataType dtype;
    final double dropout;
    private final long featureSeed;
    private final INDArray w0;
    private final Map<String, INDArray> params = new LinkedHashMap<>();
    private final Map<String, INDArray> grads = new LinkedHashMap<>();
    /** Every forwardBackward call's (lossScale, dropoutSeed, batch size). */
    final List<double[]> calls = new ArrayList<>();
    int nanAtCall = -1;

    /**
     * @param initSeed seeds A and B (W0 and the features depend on featureSeed only)
     */
    LinearToyModel(DataType dtype, double dropout, long featureSeed, long initSeed) {
        this.dtype = dtype;
        this.dropout = dropout;
        this.featureSeed = featureSeed;
        w0 = gaussian(new SplittableRandom(featureSeed ^ 0x5EED), F, D, 1.0);
        SplittableRandom init = new SplittableRandom(initSeed);
        params.put("lora_A", gaussian(init, F, R, 0.5));
        params.put("lora_B", gaussian(init, R, D, 0.5));
        params.forEach((n, p) -> grads.put(n, Nd4j.zeros(dtype, p.shape())));
    }

    private INDArray gaussian(SplittableRandom r, int rows, int cols, double scale) {
        double[][] v = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                v[i][j] = scale * gauss(r);
            }
        }
        return Nd4j.createFromArray(v).castTo(dtype);
    }

    private static double gauss(SplittableRandom r) {
        // Box–Muller, so the values do not depend on java.util.Random's state machine
        double u = Math.max(r.nextDouble(), 1e-300);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** The fixed feature vector of a text. */
    double[] features(String text) {
        SplittableRandom r = new SplittableRandom(featureSeed * 31 + text.hashCode());
        double[] f = new double[F];
        for (int i = 0; i < F; i++) {
            f[i] = gauss(r);
        }
        return f;
    }

    private INDArray inputs(List<String> texts, SplittableRandom mask) {
        double[][] x = new double[texts.size()][];
        for (int i = 0; i < texts.size(); i++) {
            x[i] = features(texts.get(i));
            if (mask != null) {
                for (int j = 0; j < F; j++) {
                    x[i][j] = mask.nextDouble() < dropout ? 0 : x[i][j] / (1 - dropout);
                }
            }
        }
        return Nd4j.createFromArray(x).castTo(dtype);
    }

    private INDArray embed(INDArray x) {
        return x.mmul(w0).addi(x.mmul(params.get("lora_A")).mmul(params.get("lora_B")));
    }

    @Override
    public Map<String, INDArray> parameters() {
        return params;
    }

    @Override
    public Map<String, INDArray> gradients() {
        return grads;
    }

    @Override
    public void zeroGradients() {
        grads.values().forEach(g -> g.assign(0));
    }

    @Override
    public double forwardBackward(List<List<String>> columns, INDArray labels, EmbeddingLoss loss, double lossScale,
            long dropoutSeed) {
        int call = calls.size();
        calls.add(new double[] {lossScale, dropoutSeed, columns.get(0).size()});
        SplittableRandom mask = dropout > 0 ? new SplittableRandom(dropoutSeed) : null;
        List<INDArray> xs = new ArrayList<>();
        List<INDArray> es = new ArrayList<>();
        for (List<String> col : columns) {
            INDArray x = inputs(col, mask);
            xs.add(x);
            es.add(embed(x));
        }
        LossValue value = loss.compute(new EmbeddingBatch(es, labels));
        INDArray a = params.get("lora_A");
        INDArray b = params.get("lora_B");
        for (int c = 0; c < xs.size(); c++) {
            INDArray x = xs.get(c);
            INDArray dE = value.gradient(c);                                   // [B, D]
            grads.get("lora_B").addi(x.mmul(a).transpose().mmul(dE).muli(lossScale));
            grads.get("lora_A").addi(x.transpose().mmul(dE.mmul(b.transpose())).muli(lossScale));
        }
        if (call == nanAtCall) {
            grads.get("lora_A").putScalar(0, Double.NaN);
            return Double.NaN;
        }
        return value.loss();
    }

    @Override
    public void saveTrained(Path dir) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        params.forEach((n, p) -> w.addFloats(n, p.castTo(DataType.FLOAT).dup('c').data().asFloat(), p.shape()));
        w.write(dir.resolve("adapter_model.safetensors"));
        dev.embedtune.model.AtomicFiles.write(dir.resolve("adapter_config.json"),
                ("{\"r\": " + R + "}").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public TextEncoder encoder() {
        return texts -> embed(inputs(texts, null)).castTo(DataType.FLOAT).toFloatMatrix();
    }

    /** A deep copy of the parameters as doubles, for comparisons. */
    Map<String, double[]> snapshot() {
        Map<String, double[]> s = new LinkedHashMap<>();
        params.forEach((n, p) -> s.put(n, p.dup('c').data().asDouble()));
        return s;
    }

    /** The parameters' raw float values (FLOAT models), for bit-exact comparisons. */
    Map<String, float[]> floats() {
        Map<String, float[]> s = new LinkedHashMap<>();
        params.forEach((n, p) -> s.put(n, p.dup('c').data().asFloat()));
        return s;
    }
}
