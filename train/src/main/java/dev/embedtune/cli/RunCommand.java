package dev.embedtune.cli;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.train.data.DatasetFormatException;
import dev.embedtune.train.pipeline.Pipeline;
import dev.embedtune.train.trainer.NonFiniteLossException;
import dev.embedtune.train.pipeline.PipelineConfig;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code embedtune run --config FILE.yaml}: the whole pipeline ({@link Pipeline}) from a config file. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the whole fine-tuning pipeline from a YAML or JSON config file: base model, data, base evaluation,"
                + " hard-negative mining, QLoRA fine-tuning, fine-tuned evaluation, report.",
                "Keys: model, data, output_dir, dims, max_length, quantization, lora_r, lora_alpha, lora_dropout,"
                        + " target_modules, use_rslora, lora_bias, modules_to_save, model_dropout, loss, train_split, eval_split,"
                        + " mining {enabled, scorer, num_negatives, range_min, range_max, absolute_margin, relative_margin,"
                        + " max_score, min_score, sampling, format}, and the trainer's arguments (Hugging Face names) at the top"
                        + " level or under training:. Missing keys take the main job's defaults."})
public final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "The config file (.yaml, .yml or .json)")
    Path config;

    @Option(names = "--overwrite", description = "Replace an earlier run in the output directory (overwrite_output_dir)")
    boolean overwrite;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "latest", paramLabel = "latest|DIR",
            description = "Continue the training of an interrupted run from the latest checkpoint in the output directory,"
                    + " or from checkpoint DIR (resume_from_checkpoint)")
    String resume;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PipelineConfig c;
        try {
            c = PipelineConfig.read(config).withRunFlags(overwrite, resume);
        } catch (NoSuchFileException e) {
            return fail(spec, "run", "--config " + config + ": no such file");
        } catch (IllegalArgumentException e) {
            return fail(spec, "run", e.getMessage());
        }
        return run(c, spec, "run");
    }

    /**
     * Runs the pipeline. A refused output directory, a missing or malformed model or dataset, a
     * setting that turns out wrong once they are loaded (dims larger than the model's, no negative
     * mined) or a diverging loss is reported as one line on stderr with exit code 1, as a bad config is.
     */
    static int run(PipelineConfig config, CommandSpec spec, String command) throws IOException {
        try {
            Pipeline.run(config, spec.commandLine().getOut());
        } catch (DatasetFormatException | ModelFormatException | NonFiniteLossException | IllegalArgumentException e) {
            return fail(spec, command, e.getMessage());
        } catch (NoSuchFileException e) {
            return fail(spec, command, e.getFile() + ": no such file" + (e.getReason() == null ? "" : " (" + e.getReason() + ")"));
        }
        return 0;
    }

    /** One line on stderr, {@code embedtune COMMAND: message}, and exit code 1, as {@code embedtune finetune} reports. */
    static int fail(CommandSpec spec, String command, String message) {
        spec.commandLine().getErr().println("embedtune " + command + ": " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
