package dev.embedtune.cli;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.onnx.BertImport;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.OnnxBertImporter;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.train.pipeline.OutputDirectory;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code embedtune import-onnx}: an ONNX BERT export becomes a sentence-transformers model directory. */
@Command(name = "import-onnx", mixinStandardHelpOptions = true,
        description = "Import an ONNX BERT export (PyTorch exporter, opset 11+) into a sentence-transformers "
                + "model directory with Hugging Face BertModel weight names.")
public final class ImportOnnxCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--source", required = true,
            description = "builtin:all-minilm-l6-v2, builtin:bge-small-en-v1.5, or the path of an .onnx file")
    String source;

    @Option(names = "--output", required = true, description = "The model directory to write; an earlier import is replaced, "
            + "any other non-empty directory refused unless --overwrite")
    Path output;

    @Option(names = "--overwrite", description = "Write into a non-empty --output that is not a model directory embedtune wrote: "
            + "the model's files replace those of the same name, every other file stays")
    boolean overwrite;

    @Option(names = "--tokenizer", description = "tokenizer.json to ship with an .onnx file (built-ins bring their own)")
    Path tokenizer;

    @Option(names = "--pooling", description = "mean or cls, for an .onnx file (built-ins: their own). Default: mean")
    String pooling = "mean";

    @Option(names = "--max-seq-length", description = "sentence-transformers' max_seq_length, for an .onnx file. Default: 512")
    int maxSeqLength = 512;

    @Option(names = "--no-normalize", description = "Do not L2-normalise the pooled embeddings (an .onnx file)")
    boolean noNormalize;

    @Override
    public Integer call() throws Exception {
        OutputDirectory.ModelOutput how = OutputDirectory.prepareModelDirectory(output, overwrite);
        // Beside other files: import into a fresh sibling directory, then move the model's files in.
        Path target = how == OutputDirectory.ModelOutput.REPLACE ? output
                : AtomicFiles.newTempDirectory(output.toAbsolutePath().getParent(), "." + output.getFileName() + ".import.");
        try {
            report(importInto(target));
            if (target != output) {
                OutputDirectory.moveInto(target, output);
            }
        } finally {
            if (target != output) {
                AtomicFiles.deleteTree(target);
            }
        }
        return 0;
    }

    private OnnxBertImporter.ImportedBert importInto(Path output) throws Exception {
        OnnxBertImporter.ImportedBert bert;
        if (BuiltinModel.isBuiltin(source)) {
            BuiltinModel model;
            try {
                model = BuiltinModel.of(source);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            bert = BertImport.builtin(model, output);
        } else {
            if (tokenizer == null) {
                throw new ParameterException(spec.commandLine(), "--tokenizer is required when --source is an .onnx file");
            }
            PoolingConfig.Mode mode = switch (pooling) {
                case "mean" -> PoolingConfig.Mode.MEAN;
                case "cls" -> PoolingConfig.Mode.CLS;
                default -> throw new ParameterException(spec.commandLine(), "--pooling must be mean or cls, got " + pooling);
            };
            if (maxSeqLength < 2) {
                throw new ParameterException(spec.commandLine(), "--max-seq-length must be at least 2, got " + maxSeqLength);
            }
            bert = BertImport.files(Path.of(source), tokenizer,
                    new BertImport.Options(mode, !noNormalize, maxSeqLength, Math.max(512, maxSeqLength)), output);
        }
        return bert;
    }

    private void report(OnnxBertImporter.ImportedBert bert) {
        spec.commandLine().getOut().printf("imported %s: %d layers, hidden %d, %d tensors, %,d parameters -> %s%n",
                source, bert.config().numHiddenLayers(), bert.config().hiddenSize(), bert.weights().size(),
                bert.parameterCount(), output.toAbsolutePath());
    }
}
