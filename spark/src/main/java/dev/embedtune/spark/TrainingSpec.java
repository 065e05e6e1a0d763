package dev.embedtune.spark;

import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.trainer.LoraTrainingModel;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an executor needs to build its copy of the training model, in a form Spark can ship: the base
 * model directory as the executors see it, the LoRA settings, the base quantisation, the max length,
 * whether the model's own dropout applies, the adapters' init seed, and whether the encoder recomputes
 * activations in the backward (gradient checkpointing). Equal specs share one model per executor JVM;
 * its adapters are overwritten from the driver's broadcast before every step.
 */
public record TrainingSpec(String modelDir, int r, double alpha, double loraDropout, List<String> targetModules,
        boolean useRslora, String bias, List<String> modulesToSave, String quantization, Integer maxLength,
        boolean modelDropout, long seed, boolean gradientCheckpointing) implements Serializable {

    public TrainingSpec {
        targetModules = new ArrayList<>(targetModules);
        modulesToSave = new ArrayList<>(modulesToSave);
    }

    public static TrainingSpec of(Path modelDir, LoraConfig lora, BaseQuantization quantization, Integer maxLength,
            boolean modelDropout, long seed) {
        return new TrainingSpec(modelDir.toString(), lora.r(), lora.alpha(), lora.dropout(), lora.targetModules(),
                lora.useRslora(), lora.bias().peftName(), lora.modulesToSave(), quantization.toString(), maxLength,
                modelDropout, seed, false);
    }

    public TrainingSpec withGradientCheckpointing(boolean enabled) {
        return new TrainingSpec(modelDir, r, alpha, loraDropout, targetModules, useRslora, bias, modulesToSave, quantization,
                maxLength, modelDropout, seed, enabled);
    }

    public LoraConfig lora() {
        return new LoraConfig(r, alpha, loraDropout, targetModules, useRslora, LoraBias.parse(bias), modulesToSave);
    }

    public LoraTrainingModel create() throws IOException {
        LoraTrainingModel model = LoraTrainingModel.create(Path.of(modelDir), lora(), BaseQuantization.parse(quantization),
                maxLength, seed, modelDropout);
        model.trainingEncoder().setGradientCheckpointing(gradientCheckpointing);
        return model;
    }
}
