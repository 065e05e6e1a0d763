package dev.embedtune.spark;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.train.pipeline.FineTuneJob;
import dev.embedtune.train.pipeline.Pipeline;
import dev.embedtune.train.pipeline.PipelineBackend;
import dev.embedtune.train.pipeline.RunSpec;
import dev.embedtune.train.trainer.MemoryPlan;
import dev.embedtune.train.trainer.TrainableModel;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The pipeline's heavy work on Spark ({@code run} and {@code finetune} of {@link SparkMain}): the
 * evaluations' and dense mining's embeddings on the executors ({@link SparkTextEncoder}, the local
 * batches, so the same bits), and the training step data-parallel with exact in-batch negatives
 * ({@link DistributedTrainingModel} around the job's own model, which the driver's optimizer updates and
 * {@link FineTuneJob#save} writes). The Spark context is asked for on first use, so that a command that
 * fails on its options or only prints its configuration starts no Spark.
 */
public final class SparkBackend implements PipelineBackend {

    /** Partitions of the gradient tree summed per group (see {@link OrderedSum}). */
    static final int FAN_IN = 8;

    private final Supplier<JavaSparkContext> context;
    private final int partitions;

    /** @param partitions tasks per micro-batch and per embedding call; 0: Spark's default parallelism */
    public SparkBackend(Supplier<JavaSparkContext> context, int partitions) {
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
        }
        this.context = context;
        this.partitions = partitions;
    }

    private int tasks(JavaSparkContext sc) {
        return partitions > 0 ? partitions : sc.defaultParallelism();
    }

    @Override
    public TextEncoder encoder(Path modelDir, RunSpec spec) {
        JavaSparkContext sc = context.get();
        return new SparkTextEncoder(sc, new ModelSpec(modelDir.toString(), "none", Pipeline.EVAL_BATCH_SIZE, spec.maxLength(), null),
                tasks(sc));
    }

    @Override
    public TrainableModel trainable(FineTuneJob job) {
        JavaSparkContext sc = context.get();
        RunSpec spec = job.spec();
        MemoryPlan plan = job.memoryPlan();   // chosen by the job for the whole batch on one machine: a task has fewer rows
        boolean checkpointing = plan != null ? plan.checkpointing() : job.arguments().gradientCheckpointing();
        TrainingSpec ts = TrainingSpec.of(job.baseModel(), spec.lora(), spec.quantization(), spec.maxLength(), spec.modelDropout(),
                job.arguments().seed()).withGradientCheckpointing(checkpointing);
        return new DistributedTrainingModel(sc, job.model(), ts, tasks(sc), FAN_IN, plan == null ? 0 : plan.miniBatch());
    }
}
