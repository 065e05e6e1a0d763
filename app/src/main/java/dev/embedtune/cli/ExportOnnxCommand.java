package dev.embedtune.cli;

import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code embedtune export-onnx}: a thin command over {@link OnnxExporter#export}. */
@Command(name = "export-onnx", mixinStandardHelpOptions = true,
        description = {"Export a model directory (or LoRA adapters, merged into their base) to ONNX: model.onnx with inputs "
                + "input_ids, attention_mask (and token_type_ids for BERT), int64 [batch_size, sequence_length], output "
                + "last_hidden_state (and sentence_embedding with --pooling-in-graph), beside tokenizer.json and the "
                + "sentence-transformers files, for ONNX Runtime, langchain4j's OnnxEmbeddingModel and other "
                + "stacks that take an ONNX model and tokenizer.json."})
public final class ExportOnnxCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true,
            description = "Model directory, adapter directory (PEFT), or builtin:all-minilm-l6-v2 / builtin:bge-small-en-v1.5")
    String model;

    @Option(names = "--output", required = true,
            description = "Directory to write; a non-empty one that is not an earlier export is refused unless --overwrite")
    Path output;

    @Option(names = "--opset", defaultValue = "" + OnnxExporter.Options.DEFAULT_OPSET,
            description = "ONNX opset, " + OnnxExporter.MIN_OPSET + " to " + OnnxExporter.MAX_OPSET
                    + " (LayerNormalization from 17; decomposed before). Default: ${DEFAULT-VALUE}")
    int opset;

    @Option(names = "--pooling-in-graph",
            description = "Also output sentence_embedding: pooled (and normalised, as the model's modules say) in the graph")
    boolean poolingInGraph;

    @Option(names = "--quantize", description = "int8: dynamic int8 weights (MatMulInteger), as ONNX Runtime's quantize_dynamic")
    String quantize;

    @Option(names = "--base", description = "The base model of an adapter directory (default: its adapter_config.json's "
            + "base_model_name_or_path)")
    String base;

    @Option(names = "--overwrite", description = "Replace --output and everything in it")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        OnnxExporter.Options options;
        try {
            options = new OnnxExporter.Options(opset, poolingInGraph,
                    quantize == null ? OnnxExporter.Quantization.NONE : OnnxExporter.Quantization.parse(quantize),
                    overwrite, base == null ? null : ModelCache.resolve(base));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Path source = ModelCache.resolve(model);
        OnnxExporter.Result r = OnnxExporter.export(source, output, options);
        spec.commandLine().getOut().printf("exported %s (%s%s) to %s: opset %d, %s, inputs %s, outputs %s, "
                        + "embedding dimension %d, %,d bytes%n",
                model, r.modelType(), r.mergedAdapter() != null ? ", adapters merged" : "", r.onnxFile(), r.opset(),
                r.quantizedTensors() > 0 ? "int8 (" + r.quantizedTensors() + " tensors)" : "float32", r.inputs(),
                r.outputs(), r.dimension(), r.onnxBytes());
        return 0;
    }
}
