package dev.embedtune.spark;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.pipeline.FineTuneJob;
import dev.embedtune.train.pipeline.RunSpec;
import dev.embedtune.train.trainer.TrainResult;
import dev.embedtune.train.trainer.Trainer;
import dev.embedtune.train.trainer.TrainerListener;
import dev.embedtune.train.trainer.TrainingArguments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@link FineTuneJob} with its training step on Spark: the same settings, loss, {@link Trainer} and
 * outputs ({@code adapter/}, {@code model/}, checkpoints, {@code metrics.jsonl} under output_dir on the
 * driver), the forward and backward of each micro-batch spread over {@code partitions} tasks
 * ({@link DistributedTrainingModel}).
 */
public final class SparkFineTuneJob {

    private SparkFineTuneJob() {
    }

    /**
     * @param spec the run specification (LoRA, quantisation, loss, Matryoshka dims, max length, model
     *     dropout, training arguments), as {@link FineTuneJob#prepare} takes it
     * @param baseModel the spec's model resolved to a directory, as the driver and the executors see it
     * @return the trainer's result; {@code <output_dir>/adapter} and {@code <output_dir>/model} are written
     */
    public static TrainResult run(JavaSparkContext sc, RunSpec spec, Path baseModel, Dataset data, Evaluator<?> evaluator,
            TrainerListener listener, String resumeFrom, int partitions) throws IOException {
        if (!FineTuneJob.formatsOf(spec.loss()).contains(data.format())) {
            throw new IllegalArgumentException("loss " + spec.loss() + " trains on " + FineTuneJob.formatsOf(spec.loss())
                    + " examples, but " + data.name() + " holds " + data.format().name().toLowerCase(Locale.ROOT) + " examples");
        }
        TrainingArguments args = spec.training();
        TrainingSpec ts = TrainingSpec.of(baseModel, spec.lora(), spec.quantization(), spec.maxLength(), spec.modelDropout(),
                args.seed());
        try (DistributedTrainingModel model = new DistributedTrainingModel(sc, ts, partitions, 8)) {
            int dimension = model.driverModel().baseModel().pooling().outputDimension();
            EmbeddingLoss loss = FineTuneJob.loss(spec.loss(), dimension, spec.matryoshkaDims(), spec.miniBatchSize());
            TrainResult result = new Trainer(model, data, loss, args, evaluator, listener).train(resumeFrom);
            // as FineTuneJob.save: the adapters in PEFT's layout and the merged model, each renamed into place
            Path out = args.outputDir();
            Path tmp = Files.createTempDirectory(out, ".adapter.");
            try {
                model.saveTrained(tmp);
                AtomicFiles.replaceDirectory(tmp, out.resolve("adapter"));
            } finally {
                AtomicFiles.deleteTree(tmp);
            }
            LoraMerge.writeMerged(baseModel, model.driverModel().adapters(), out.resolve("model"));
            return result;
        }
    }
}
