package dev.embedtune.cli;

import dev.embedtune.model.onnx.BertImport;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.OnnxBertImporter;
import dev.embedtune.model.st.PoolingConfig;
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

    @Option(names = "--output", required = true, description = "The model directory to write (replaced if it exists)")
    Path output;

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
            bert = BertImport.files(Path.of(source), tokenizer,
                    new BertImport.Options(mode, !noNormalize, maxSeqLength, Math.max(512, maxSeqLength)), output);
        }
        spec.commandLine().getOut().printf("imported %s: %d layers, hidden %d, %d tensors, %,d parameters -> %s%n",
                source, bert.config().numHiddenLayers(), bert.config().hiddenSize(), bert.weights().size(),
                bert.parameterCount(), output.toAbsolutePath());
        return 0;
    }
}
