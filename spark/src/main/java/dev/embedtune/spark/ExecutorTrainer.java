package dev.embedtune.spark;

import dev.embedtune.model.training.TrainablePooling;
import dev.embedtune.model.training.TrainingEncoder;
import dev.embedtune.train.trainer.LoraTrainingModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An executor's half of the distributed GradCache step, on the executor's one training model per spec
 * (quantised base loaded once, kept between steps; adapters overwritten from the driver's broadcast
 * when it changes). {@link #embed}: the pooled embeddings of a slice of the global batch's rows, in
 * train mode; {@link #backward}: the same forward again and the backward from the driver's dL/dE for
 * those rows, returning the adapters' gradients. Both draw each row's dropout masks from the step's
 * seed, the column and the row's position in the <em>global</em> batch
 * ({@link LoraTrainingModel#rowSeeds}), so the masks are those of the single-process step, and a
 * retried task computes the same values.
 *
 * <p>Tasks of one JVM take turns on the model (one forward at a time) and on its training passes (one
 * per column), kept from task to task as the local model keeps them from step to step: a task's bits
 * do not depend on what a pass held before (ExecutorTrainerTest), and allocating a pass per task cost
 * more than the task's compute (docs/BENCHMARKS.md, "Spark").
 */
final class ExecutorTrainer {

    private final LoraTrainingModel model;
    private final TrainablePooling pooling;
    private final List<TrainingEncoder.Pass> passes = new ArrayList<>();   // one per column, as LoraTrainingModel keeps them
    private long version = -1;

    private ExecutorTrainer(LoraTrainingModel model) {
        this.model = model;
        this.pooling = new TrainablePooling(model.baseModel().pooling(), model.baseModel().normalize());
    }

    static ExecutorTrainer of(TrainingSpec spec) {
        return ExecutorModels.get(spec, () -> {
            try {
                return new ExecutorTrainer(spec.create());
            } catch (IOException e) {
                throw new UncheckedIOException("executor could not load the base model " + spec.modelDir()
                        + " (it must exist on every executor: a shared filesystem, or --archives)", e);
            }
        });
    }

    /** The rows of one task: for each column its token ids [rows, T] (T of the whole global batch). */
    record Slice(int partition, int firstRow, int[][][] ids, int[][][] mask, int[][][] types, float[][][] dEmbedding)
            implements java.io.Serializable {
        int rows() {
            return ids[0].length;
        }
    }

    /** Per column, the pooled embeddings [rows, D] of the slice. */
    synchronized float[][][] embed(Broadcast<ParameterSnapshot> params, Slice s, long dropoutSeed, int miniBatch) {
        sync(params);
        float[][][] out = new float[s.ids().length][][];
        for (int c = 0; c < out.length; c++) {
            float[][] rows = new float[s.rows()][];
            int step = miniBatch > 0 ? miniBatch : s.rows();
            for (int b = 0; b < s.rows(); b += step) {
                int e = Math.min(s.rows(), b + step);
                TrainingEncoder.Pass pass = forward(s, c, b, e, dropoutSeed);
                float[][] part = pooling.forward(pass.hidden(), pass.keyMask(), new TrainablePooling.Saved())
                        .castTo(DataType.FLOAT).toFloatMatrix();
                System.arraycopy(part, 0, rows, b, e - b);
            }
            out[c] = rows;
        }
        return out;
    }

    /** The adapters' gradients for the slice's rows of dL/dE (already scaled for accumulation), in parameter order. */
    synchronized float[][] backward(Broadcast<ParameterSnapshot> params, Slice s, long dropoutSeed, int miniBatch) {
        sync(params);
        model.zeroGradients();
        for (int c = 0; c < s.ids().length; c++) {
            int step = miniBatch > 0 ? miniBatch : s.rows();
            for (int b = 0; b < s.rows(); b += step) {
                int e = Math.min(s.rows(), b + step);
                TrainingEncoder.Pass pass = forward(s, c, b, e, dropoutSeed);
                TrainablePooling.Saved saved = new TrainablePooling.Saved();
                pooling.forward(pass.hidden(), pass.keyMask(), saved);
                INDArray dE = Nd4j.createFromArray(Arrays.copyOfRange(s.dEmbedding()[c], b, e))
                        .castTo(model.trainingEncoder().dataType());
                model.trainingEncoder().backward(pass, pooling.backward(dE, saved));
            }
        }
        return ParameterSnapshot.of(model.gradients()).values();
    }

    /** Train-mode forward of rows [b, e) of the slice's column c, into column c's reused pass. */
    private TrainingEncoder.Pass forward(Slice s, int c, int b, int e, long dropoutSeed) {
        long[] seeds = LoraTrainingModel.rowSeeds(dropoutSeed, c, s.firstRow() + b, e - b);
        while (passes.size() <= c) {
            passes.add(null);
        }
        TrainingEncoder.Pass pass = model.trainingEncoder().forward(Arrays.copyOfRange(s.ids()[c], b, e),
                Arrays.copyOfRange(s.mask()[c], b, e), Arrays.copyOfRange(s.types()[c], b, e), passes.get(c), seeds);
        passes.set(c, pass);
        return pass;
    }

    private void sync(Broadcast<ParameterSnapshot> params) {
        if (version != params.id()) {
            params.value().copyInto(model.parameters());
            version = params.id();
        }
    }
}
