package dev.embedtune.spark;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.train.loss.EmbeddingBatch;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.LossValue;
import dev.embedtune.train.trainer.LoraTrainingModel;
import dev.embedtune.train.trainer.TrainableModel;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Data-parallel training with exact in-batch negatives (distributed GradCache, Gao et al. 2021,
 * https://arxiv.org/abs/2101.06983), as a {@link TrainableModel} for the local {@link dev.embedtune.train.trainer.Trainer}:
 * the trainer's sampler, accumulation, clipping, AdamW, schedule, logging, evaluation, checkpoints and
 * resume are the single-process ones; only {@link #forwardBackward} runs on the executors.
 *
 * <p>One micro-batch of B rows over P tasks (task p gets the contiguous rows [B·p/P, B·(p+1)/P) of every
 * column, tokenised by the driver with the global batch's padding):
 * <ol>
 *   <li>when the adapters changed since the last broadcast (after an optimizer step), broadcast them;</li>
 *   <li>embed job: each task runs the train-mode forward on its rows ({@link ExecutorTrainer#embed}) and
 *       returns the pooled embeddings;</li>
 *   <li>driver: the loss on the global batch [B, D] per column (every row's in-batch negatives are the
 *       whole global batch, as on one machine) and dL/dE, times the accumulation scale;</li>
 *   <li>backward job: each task gets its rows of dL/dE, runs the forward again (same per-row dropout
 *       seeds, so the same activations) and the backward, and returns the adapters' gradients;</li>
 *   <li>the gradients are summed in partition order ({@link OrderedSum}) and added into the driver's
 *       gradient buffers.</li>
 * </ol>
 * The executors keep the quantised base between steps ({@link ExecutorModels}); with CachedMNRL each
 * task also keeps activations of only {@code mini_batch_size} rows at a time.
 *
 * <p>Faults: a task's result is a pure function of the broadcast adapters, its rows and the step's seed,
 * so Spark's retry of a failed task (or of a lost executor's tasks) returns the same values and the
 * fixed-order sum the same bits.
 */
public final class DistributedTrainingModel implements TrainableModel, AutoCloseable {

    /** A test hook: fail task {@code partition} of {@code phase} ("embed" or "backward") in call {@code call} on its first attempt. */
    public record InjectedFault(String phase, int call, int partition) implements Serializable {
        void maybeFail(String p, int c, int partitionIndex) {
            if (phase.equals(p) && call == c && partition == partitionIndex && TaskContext.get() != null
                    && TaskContext.get().attemptNumber() == 0) {
                throw new IllegalStateException("injected fault: " + p + " task " + partitionIndex + " of call " + c);
            }
        }
    }

    /** Payload bytes of the last {@link #forwardBackward} (array contents; serialisation adds a little). */
    public record Traffic(long parameterBroadcast, long tokensToTasks, long embeddingsToDriver, long gradientsOfEmbeddings,
            long gradientsToDriver) {
        public long total() {
            return parameterBroadcast + tokensToTasks + embeddingsToDriver + gradientsOfEmbeddings + gradientsToDriver;
        }
    }

    private final JavaSparkContext sc;
    private final LoraTrainingModel driver;
    private final TrainingSpec spec;
    private final int partitions;
    private final int fanIn;
    private final int memoryMiniBatch;
    private InjectedFault fault;
    private Broadcast<ParameterSnapshot> broadcast;
    private ParameterSnapshot broadcastValues;
    private int calls;
    private Traffic traffic;

    /**
     * @param partitions tasks per micro-batch (at most its rows)
     * @param fanIn partitions summed per group of the gradient tree (see {@link OrderedSum})
     */
    public DistributedTrainingModel(JavaSparkContext sc, TrainingSpec spec, int partitions, int fanIn) throws IOException {
        this(sc, spec.create(), spec, partitions, fanIn, 0);
    }

    /**
     * @param driver the driver's model, built from {@code spec} (e.g. by {@link dev.embedtune.train.pipeline.FineTuneJob})
     * @param memoryMiniBatch GradCache mini-batch rows a memory budget asks of each task (0: none), as
     *     {@link LoraTrainingModel#setMemoryMiniBatch}
     */
    public DistributedTrainingModel(JavaSparkContext sc, LoraTrainingModel driver, TrainingSpec spec, int partitions, int fanIn,
            int memoryMiniBatch) {
        if (partitions < 1 || fanIn < 2 || memoryMiniBatch < 0) {
            throw new IllegalArgumentException("partitions must be >= 1, fanIn >= 2 and memoryMiniBatch >= 0, got " + partitions
                    + ", " + fanIn + ", " + memoryMiniBatch);
        }
        this.sc = sc;
        this.spec = spec;
        this.partitions = partitions;
        this.fanIn = fanIn;
        this.memoryMiniBatch = memoryMiniBatch;
        this.driver = driver;
    }

    /** Makes one task fail once (tests of Spark's retry). */
    public void injectFault(InjectedFault f) {
        this.fault = f;
    }

    /** The driver's model: the parameters AdamW updates, the evaluation encoder, the saved adapters. */
    public LoraTrainingModel driverModel() {
        return driver;
    }

    public Traffic lastTraffic() {
        return traffic;
    }

    @Override
    public Map<String, INDArray> parameters() {
        return driver.parameters();
    }

    @Override
    public Map<String, INDArray> gradients() {
        return driver.gradients();
    }

    @Override
    public void zeroGradients() {
        driver.zeroGradients();
    }

    @Override
    public double forwardBackward(List<List<String>> columns, INDArray labels, EmbeddingLoss loss, double lossScale,
            long dropoutSeed) {
        int call = calls++;
        long broadcastBytes = 0;
        ParameterSnapshot now = ParameterSnapshot.of(driver.parameters());
        if (broadcastValues == null || !now.sameValues(broadcastValues)) {
            if (broadcast != null) {
                broadcast.destroy();
            }
            broadcast = sc.broadcast(now);
            broadcastValues = now;
            broadcastBytes = now.bytes();
        }
        List<BatchEncoding> encoded = new ArrayList<>();
        for (List<String> column : columns) {
            encoded.add(driver.tokenizer().encodeBatch(column));
        }
        int rows = columns.get(0).size();
        int tasks = Math.min(partitions, rows);
        int cached = gradCacheMiniBatch(loss);
        int miniBatch = memoryMiniBatch == 0 ? cached : cached > 0 ? Math.min(cached, memoryMiniBatch) : memoryMiniBatch;
        List<ExecutorTrainer.Slice> slices = new ArrayList<>();
        long tokenBytes = 0;
        for (int p = 0; p < tasks; p++) {
            int from = (int) ((long) rows * p / tasks), to = (int) ((long) rows * (p + 1) / tasks);
            int[][][] ids = new int[encoded.size()][][], mask = new int[encoded.size()][][], types = new int[encoded.size()][][];
            for (int c = 0; c < encoded.size(); c++) {
                ids[c] = Arrays.copyOfRange(encoded.get(c).inputIds(), from, to);
                mask[c] = Arrays.copyOfRange(encoded.get(c).attentionMask(), from, to);
                types[c] = Arrays.copyOfRange(encoded.get(c).tokenTypeIds(), from, to);
                tokenBytes += 3L * 4 * (to - from) * ids[c][0].length;
            }
            slices.add(new ExecutorTrainer.Slice(p, from, ids, mask, types, null));
        }

        // 1. embed on the executors
        Broadcast<ParameterSnapshot> params = broadcast;
        TrainingSpec s = spec;
        InjectedFault f = fault;
        List<float[][][]> parts = sc.parallelize(slices, tasks).map(slice -> {
            if (f != null) {
                f.maybeFail("embed", call, slice.partition());
            }
            return ExecutorTrainer.of(s).embed(params, slice, dropoutSeed, miniBatch);
        }).collect();
        List<INDArray> embeddings = new ArrayList<>();
        long embeddingBytes = 0;
        for (int c = 0; c < columns.size(); c++) {
            float[][] all = new float[rows][];
            int at = 0;
            for (float[][][] part : parts) {
                for (float[] row : part[c]) {
                    all[at++] = row;
                    embeddingBytes += 4L * row.length;
                }
            }
            embeddings.add(Nd4j.createFromArray(all).castTo(driver.trainingEncoder().dataType()));
        }

        // 2. the loss over the global batch, and each row's dL/dE
        LossValue value = loss.compute(new EmbeddingBatch(embeddings, labels));
        if (!Double.isFinite(value.loss())) {
            traffic = new Traffic(broadcastBytes, tokenBytes, embeddingBytes, 0, 0);
            return value.loss();   // the trainer stops; nothing is back-propagated
        }
        float[][][] dE = new float[columns.size()][][];
        for (int c = 0; c < dE.length; c++) {
            dE[c] = value.gradient(c).mul(lossScale).castTo(DataType.FLOAT).toFloatMatrix();
        }
        List<ExecutorTrainer.Slice> withGradients = new ArrayList<>();
        for (ExecutorTrainer.Slice sl : slices) {
            float[][][] mine = new float[dE.length][][];
            for (int c = 0; c < dE.length; c++) {
                mine[c] = Arrays.copyOfRange(dE[c], sl.firstRow(), sl.firstRow() + sl.rows());
            }
            withGradients.add(new ExecutorTrainer.Slice(sl.partition(), sl.firstRow(), sl.ids(), sl.mask(), sl.types(), mine));
        }

        // 3. backward on the executors, gradients summed in partition order
        JavaPairRDD<Integer, float[][]> grads = sc.parallelize(withGradients, tasks).mapToPair(slice -> {
            if (f != null) {
                f.maybeFail("backward", call, slice.partition());
            }
            return new Tuple2<>(slice.partition(), ExecutorTrainer.of(s).backward(params, slice, dropoutSeed, miniBatch));
        });
        float[][] sum = OrderedSum.sum(grads, tasks, fanIn);
        List<String> names = broadcastValues.names();
        Map<String, INDArray> buffers = driver.gradients();
        long gradientBytes = 0;
        for (int i = 0; i < names.size(); i++) {
            INDArray g = buffers.get(names.get(i));
            g.addi(Nd4j.createFromArray(sum[i]).reshape(g.shape()).castTo(g.dataType()));
            gradientBytes += 4L * sum[i].length * tasks;
        }
        traffic = new Traffic(broadcastBytes, tokenBytes, embeddingBytes, embeddingBytes, gradientBytes);
        return value.loss();
    }

    /** The mini-batch size of a cached loss (0 when the loss is not one), as the local model reads it. */
    private static int gradCacheMiniBatch(EmbeddingLoss loss) {
        return loss.gradCacheMiniBatchSize();
    }

    @Override
    public void saveTrained(Path dir) throws IOException {
        driver.saveTrained(dir);
    }

    @Override
    public TextEncoder encoder() {
        return driver.encoder();
    }

    @Override
    public void close() {
        if (broadcast != null) {
            broadcast.destroy();
            broadcast = null;
        }
    }
}
