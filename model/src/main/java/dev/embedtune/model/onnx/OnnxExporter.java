package dev.embedtune.model.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.st.ModelDirectory;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code embedtune export-onnx}: a model directory, or LoRA adapters merged into their base, as an
 * ONNX model plus tokenizer.json, which is what JVM serving stacks take (tested: ONNX Runtime and
 * langchain4j's OnnxEmbeddingModel), written beside the model's sentence-transformers files.
 *
 * <p>The graph, as Hugging Face optimum exports a feature-extraction model:
 * <pre>
 * inputs   input_ids, attention_mask, token_type_ids (BERT only)   int64 [batch_size, sequence_length]
 * outputs  last_hidden_state                                       float [batch_size, sequence_length, H]
 *          sentence_embedding (with pooling in the graph)          float [batch_size, D]
 * </pre>
 * {@code sentence_embedding} is what sentence-transformers computes after the Transformer module
 * (pooling, then normalising when the model has a Normalize module, then truncate_dim), named as
 * optimum's sentence-transformers export names it. last_hidden_state stays the first output, which
 * is the one langchain4j reads.
 *
 * <pre>
 * OnnxExporter.Result r = OnnxExporter.export(Path.of("runs/ft/model"), Path.of("runs/ft/onnx"),
 *         OnnxExporter.Options.DEFAULT.withPoolingInGraph(true));
 * </pre>
 */
public final class OnnxExporter {
    public static final String LAST_HIDDEN_STATE = "last_hidden_state", SENTENCE_EMBEDDING = "sentence_embedding";
    public static final String BATCH = "batch_size", SEQUENCE = "sequence_length";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the weights are stored. */
    public enum Quantization {
        /** float32, as trained */
        NONE,
        /** dynamic int8: MatMulInteger over int8 weights, uint8 embedding tables (ONNX Runtime's quantize_dynamic) */
        INT8;

        public static Quantization parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "none", "float32", "fp32" -> NONE;
                case "int8", "qint8" -> INT8;
                default -> throw new IllegalArgumentException("quantization must be int8 (or none), got \"" + s + "\"");
            };
        }
    }

    /**
     * @param opset          the ONNX opset ({@value #MIN_OPSET}–{@value #MAX_OPSET}; LayerNormalization is one
     *                       operator from 17, decomposed before)
     * @param poolingInGraph also output the pooled (and normalised) {@code sentence_embedding}
     * @param quantization   {@link Quantization#INT8} for dynamic int8 weights
     * @param overwrite      replace a non-empty output directory that is not an earlier export
     * @param base           the base model of an adapter directory, or null for adapter_config.json's base_model_name_or_path
     */
    public record Options(int opset, boolean poolingInGraph, Quantization quantization, boolean overwrite, Path base) {
        /**
         * Opset 17: the first with LayerNormalization as one operator, and read by every ONNX Runtime
         * since 1.14 (so by the older runtimes that serving stacks may ship).
         */
        public static final int DEFAULT_OPSET = 17;
        public static final Options DEFAULT = new Options(DEFAULT_OPSET, false, Quantization.NONE, false, null);

        public Options {
            if (opset < MIN_OPSET || opset > MAX_OPSET) {
                throw new IllegalArgumentException("opset must be between " + MIN_OPSET + " and " + MAX_OPSET
                        + " (ONNX Runtime 1.20 reads up to " + MAX_OPSET + "), got " + opset);
            }
            if (quantization == null) {
                throw new IllegalArgumentException("quantization is null; use Quantization.NONE");
            }
        }

        public Options withOpset(int v) {
            return new Options(v, poolingInGraph, quantization, overwrite, base);
        }

        public Options withPoolingInGraph(boolean v) {
            return new Options(opset, v, quantization, overwrite, base);
        }

        public Options withQuantization(Quantization v) {
            return new Options(opset, poolingInGraph, v, overwrite, base);
        }

        public Options withOverwrite(boolean v) {
            return new Options(opset, poolingInGraph, quantization, v, base);
        }

        public Options withBase(Path v) {
            return new Options(opset, poolingInGraph, quantization, overwrite, v);
        }
    }

    public static final int MIN_OPSET = 13, MAX_OPSET = 21;

    /**
     * @param onnxFile         the written model.onnx
     * @param inputs           the graph's inputs, in order
     * @param outputs          the graph's outputs, in order (last_hidden_state first)
     * @param dimension        length of sentence_embedding (the pooled dimension, after truncate_dim)
     * @param quantizedTensors weights stored as int8/uint8 (0 for float32)
     * @param mergedAdapter    the adapter directory merged into its base, or null
     */
    public record Result(Path directory, Path onnxFile, String modelType, int opset, List<String> inputs,
            List<String> outputs, int dimension, int quantizedTensors, long onnxBytes, Path mergedAdapter) {
    }

    private OnnxExporter() {
    }

    /**
     * Exports {@code modelDir} (a model directory, or a PEFT adapter directory whose base is
     * reachable) into {@code outputDir}: model.onnx, the tokenizer and config files, the
     * sentence-transformers module files and {@value ExportDirectory#MARKER}. The directory is built
     * beside its target and renamed into place.
     *
     * @throws ModelFormatException naming the file and the reason: an unreadable or unsupported model,
     *     an adapter without its base, an output that would replace a directory it should not
     */
    public static Result export(Path modelDir, Path outputDir, Options options) throws IOException {
        ExportSource source = ExportSource.read(modelDir, options.base());
        ExportDirectory.checkTarget(outputDir, source.sources(), options.overwrite());
        ModelDirectory md = source.model();
        GraphBuilder g = graph(md, source.weights(), options);
        int quantized = options.quantization() == Quantization.INT8 ? DynamicQuantization.apply(g) : 0;
        ProtoWriter model = OnnxModelWriter.model(g, version());
        if (model.size() > OnnxModelWriter.MAX_MODEL_BYTES) {
            throw new ModelFormatException(modelDir, "the ONNX model would take " + model.size() + " bytes, more than "
                    + "protobuf's 2 GiB limit for one file (weights in external files are not written); try --quantize int8");
        }
        int dimension = embeddingDimension(md);

        Path target = outputDir.toAbsolutePath().normalize();
        Files.createDirectories(target.getParent());
        Path tmp = AtomicFiles.newTempDirectory(target.getParent(), "." + target.getFileName() + ".");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp.resolve(ExportDirectory.ONNX_FILE)), 1 << 20)) {
                model.writeTo(out);
            }
            ExportDirectory.writeCompanions(md, tmp);
            ObjectNode marker = JSON.createObjectNode();
            marker.put("format", ExportDirectory.FORMAT);
            marker.put("format_version", 1);
            marker.put("producer", "embedtune " + version());
            marker.put("source", modelDir.toAbsolutePath().normalize().toString());
            if (source.adapter() != null) {
                marker.put("merged_adapter", source.adapter().toAbsolutePath().normalize().toString());
                marker.put("base_model", md.dir().toAbsolutePath().normalize().toString());
            }
            marker.put("model_type", md.config().modelType());
            marker.put("onnx_file", ExportDirectory.ONNX_FILE);
            marker.put("opset", g.opset);
            marker.put("ir_version", OnnxModelWriter.irVersion(g.opset));
            marker.put("quantization", options.quantization().name().toLowerCase(Locale.ROOT));
            marker.put("pooling_in_graph", options.poolingInGraph());
            g.inputs.forEach(v -> marker.withArray("inputs").add(v.name()));
            g.outputs.forEach(v -> marker.withArray("outputs").add(v.name()));
            marker.put("embedding_dimension", dimension);
            ExportDirectory.writeMarker(tmp, marker);
            AtomicFiles.replaceDirectory(tmp, target);
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
        return new Result(target, target.resolve(ExportDirectory.ONNX_FILE), md.config().modelType(), g.opset,
                g.inputs.stream().map(GraphBuilder.ValueInfo::name).toList(),
                g.outputs.stream().map(GraphBuilder.ValueInfo::name).toList(), dimension, quantized, model.size(),
                source.adapter());
    }

    /** The float32 graph of {@code md} with {@code weights} (by Hugging Face name). */
    static GraphBuilder graph(ModelDirectory md, Map<String, float[]> weights, Options options) throws ModelFormatException {
        ModelConfig config = md.config();
        Path configFile = md.transformerDir().resolve("config.json");
        GraphBuilder g = new GraphBuilder(options.opset());
        EncoderBlocks blocks = new EncoderBlocks(g, weights, EncoderWeights.shapes(config));
        String ids = g.input("input_ids", GraphBuilder.INT64, BATCH, SEQUENCE);
        String mask = g.input("attention_mask", GraphBuilder.INT64, BATCH, SEQUENCE);
        String hidden;
        if (config instanceof BertConfig bert) {
            if (!"gelu".equals(bert.hiddenAct())) {
                throw new ModelFormatException(configFile, "hidden_act is \"" + bert.hiddenAct()
                        + "\"; the exporter writes BERT's exact erf GELU (\"gelu\") only");
            }
            String types = g.input("token_type_ids", GraphBuilder.INT64, BATCH, SEQUENCE);
            hidden = BertGraph.build(g, blocks, bert, ids, mask, types);
        } else {
            ModernBertConfig modern = (ModernBertConfig) config;
            if (!"gelu".equals(modern.hiddenActivation())) {
                throw new ModelFormatException(configFile, "hidden_activation is \"" + modern.hiddenActivation()
                        + "\"; the exporter writes the exact erf GELU (\"gelu\") only");
            }
            hidden = ModernBertGraph.build(g, blocks, modern, ids, mask);
        }
        g.output(LAST_HIDDEN_STATE, hidden, GraphBuilder.FLOAT, BATCH, SEQUENCE, (long) config.hiddenSize());
        if (options.poolingInGraph()) {
            if (!md.pooling().includePrompt()) {
                throw new ModelFormatException(md.dir(), "the Pooling module has include_prompt false, which needs the "
                        + "prompt's length at run time; export without pooling in the graph and pool outside it");
            }
            String pooled = PoolingGraph.build(g, md.pooling(), md.normalize(), md.settings().truncateDim(), hidden, mask);
            g.output(SENTENCE_EMBEDDING, pooled, GraphBuilder.FLOAT, BATCH, (long) embeddingDimension(md));
        }
        return g;
    }

    private static int embeddingDimension(ModelDirectory md) {
        Integer truncate = md.settings().truncateDim();
        return truncate != null ? truncate : md.pooling().outputDimension();
    }

    private static String version() {
        String v = OnnxExporter.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }
}
