package dev.embedtune.spark;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.trainer.FineTuneJob;
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
     * @param modelDir the base model as the executors see it (the driver reads it too)
     * @return the trainer's result; {@code <output_dir>/adapter} and {@code <output_dir>/model} are written
     */
    public static TrainResult run(JavaSparkContext sc, FineTuneJob.Settings settings, TrainingArguments args, Dataset data,
            Evaluator<?> evaluator, TrainerListener listener, String resumeFrom, int partitions) throws IOException {
        if (!FineTuneJob.formatsOf(settings.loss()).contains(data.format())) {
            throw new IllegalArgumentException("loss " + settings.loss() + " trains on " + FineTuneJob.formatsOf(settings.loss())
                    + " examples, but " + data.name() + " holds " + data.format().name().toLowerCase(Locale.ROOT) + " examples");
        }
        TrainingSpec spec = TrainingSpec.of(settings.baseModel(), settings.lora(), settings.quantization(), settings.maxLength(),
                settings.modelDropout(), args.seed());
        try (DistributedTrainingModel model = new DistributedTrainingModel(sc, spec, partitions, 8)) {
            int dimension = model.driverModel().baseModel().pooling().outputDimension();
            EmbeddingLoss loss = FineTuneJob.loss(settings.loss(), dimension, settings.matryoshkaDims());
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
            LoraMerge.writeMerged(settings.baseModel(), model.driverModel().adapters(), out.resolve("model"));
            return result;
        }
    }
}
