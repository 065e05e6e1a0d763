package dev.embedtune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.embedtune.train.Warnings;
import dev.embedtune.train.pipeline.Pipeline;
import dev.embedtune.train.pipeline.RunSpec;
import dev.embedtune.app.report.RunCharts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code embedtune run --config FILE.yaml}: the whole pipeline ({@link Pipeline}) from a run specification file. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the whole fine-tuning pipeline from a YAML or JSON run specification: base model, data, base evaluation,"
                + " hard-negative mining, QLoRA fine-tuning, fine-tuned evaluation, report.",
                "Every key and its default: `embedtune run --print-config`. Keys are Hugging Face TrainingArguments, PEFT"
                        + " LoraConfig and sentence-transformers names (learning_rate, per_device_train_batch_size, lora_r,"
                        + " target_modules, matryoshka_dims, …); missing keys take the main job's defaults."})
public final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", description = "The run specification (.yaml, .yml or .json); without it, the defaults")
    Path config;

    @Option(names = "--overwrite", description = "Replace an earlier run in the output directory (overwrite_output_dir)")
    boolean overwrite;

    @Option(names = "--export-onnx", description = "Also write the merged model as ONNX into the output directory's onnx/"
            + " (export_onnx)")
    boolean exportOnnx;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "latest", paramLabel = "latest|DIR",
            description = "Continue the training of an interrupted run from the latest checkpoint in the output directory,"
                    + " or from checkpoint DIR (resume_from_checkpoint)")
    String resume;

    @Option(names = "--print-config", description = "Print the effective run specification (every key, as YAML) and exit")
    boolean printConfig;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        return call(Pipeline.Options.defaults().withCharts(RunCharts::draw));
    }

    /**
     * The command with the pipeline's options given: in this process ({@link #call()}), or with another
     * {@link dev.embedtune.train.pipeline.PipelineBackend} (the spark module's {@code run}, which takes
     * this command's options and so its run specification).
     */
    public Integer call(Pipeline.Options options) throws IOException {
        RunSpec defaults = RunSpec.defaults(RunSpec.DEFAULT_OUTPUT);
        RunSpec s = config == null ? defaults : SettingsFile.readSpec(config, defaults, warnings(spec, "run"));
        s = s.withOverrides(SpecOptions.overrides(spec.commandLine().getParseResult()), "command line", warnings(spec, "run"));
        if (printConfig) {
            spec.commandLine().getOut().print(yaml(s));
            spec.commandLine().getOut().flush();
            return 0;
        }
        return run(s, spec, "run", options);
    }

    /** The record as YAML, every key, in {@link RunSpec#toTree}'s order. */
    static String yaml(RunSpec s) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)).enable(SerializationFeature.INDENT_OUTPUT);
        return yaml.writeValueAsString(s.toTree());
    }

    /** Deprecation warnings, through the one warning channel ({@link Warnings}: {@code warning: …} lines on stderr). */
    static Consumer<String> warnings(CommandSpec spec, String command) {
        return Warnings::warn;
    }

    /**
     * Runs the pipeline. A refused output directory, a missing or malformed model or dataset, a
     * setting that turns out wrong once they are loaded (dims larger than the model's, no negative
     * mined), a diverging or collapsed run: each is one line on stderr with exit code 1, as a bad
     * config is ({@link ErrorHandler}).
     */
    static int run(RunSpec config, CommandSpec spec, String command) throws IOException {
        return run(config, spec, command, Pipeline.Options.defaults().withCharts(RunCharts::draw));
    }

    private static int run(RunSpec config, CommandSpec spec, String command, Pipeline.Options options) throws IOException {
        Pipeline.run(config, options, spec.commandLine().getOut());
        return 0;
    }
}
