package dev.embedtune.cli;

import dev.embedtune.train.pipeline.Pipeline;
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
                "Keys: model, data, output_dir, dims, max_length, quantization, lora_r, lora_alpha, loss, train_split, eval_split,"
                        + " mining {enabled, scorer, num_negatives, range_min, range_max, absolute_margin, relative_margin,"
                        + " max_score, min_score, sampling, format}, and the trainer's arguments (Hugging Face names) at the top"
                        + " level or under training:. Missing keys take the main job's defaults."})
public final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "The config file (.yaml, .yml or .json)")
    Path config;

    @Option(names = "--overwrite", description = "Replace an earlier run in the output directory (overwrite_output_dir)")
    boolean overwrite;

    @Option(names = "--resume", description = "Continue the training of an interrupted run from its latest checkpoint"
            + " (resume_from_checkpoint: latest)")
    boolean resume;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PipelineConfig c;
        try {
            c = PipelineConfig.read(config).withRunFlags(overwrite, resume);
        } catch (NoSuchFileException e) {
            return fail(spec, "--config " + config + ": no such file");
        } catch (IllegalArgumentException e) {
            return fail(spec, e.getMessage());
        }
        return run(c, spec);
    }

    /**
     * Runs the pipeline. A refused output directory or a setting that turns out wrong once the model
     * and data are loaded (dims larger than the model's, no negative mined) is reported as one line
     * on stderr with exit code 2, as a bad config is.
     */
    static int run(PipelineConfig config, CommandSpec spec) throws IOException {
        try {
            Pipeline.run(config, spec.commandLine().getOut());
        } catch (IllegalArgumentException e) {
            return fail(spec, e.getMessage());
        }
        return 0;
    }

    static int fail(CommandSpec spec, String message) {
        spec.commandLine().getErr().println("error: " + message);
        spec.commandLine().getErr().flush();
        return 2;
    }
}
