package dev.embedtune.model.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.st.ModuleEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The directory an export writes: {@code model.onnx}, the model's tokenizer and config files, and
 * sentence-transformers' module files in the layout {@code SentenceTransformer.save} writes (the
 * Transformer module at the root, where sentence-transformers' ONNX backend looks for
 * {@code model.onnx} first), plus {@value #MARKER}, which says how the graph was made and marks the
 * directory as one embedtune may replace. Weight files are not copied: the ONNX file holds the weights.
 */
final class ExportDirectory {
    static final String ONNX_FILE = "model.onnx";
    /** Written into every export; a directory that has it may be replaced without --overwrite. */
    static final String MARKER = "onnx_export.json";
    static final String FORMAT = "embedtune-onnx-export";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ExportDirectory() {
    }

    /**
     * Refuses an output that is a file, that is (or holds) one of the directories read, or that is a
     * non-empty directory embedtune did not export into, unless {@code overwrite}.
     */
    static void checkTarget(Path output, List<Path> sources, boolean overwrite) throws IOException {
        Path out = output.toAbsolutePath().normalize();
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ModelFormatException(output, "exists and is not a directory");
        }
        for (Path source : sources) {
            Path s = source.toRealPath();
            Path o = Files.exists(out) ? out.toRealPath() : out;
            if (s.startsWith(o)) {
                throw new ModelFormatException(output, "is the model directory being exported (" + source
                        + ") or holds it; the export replaces its output directory: choose another --output");
            }
        }
        if (!Files.isDirectory(out) || isEmpty(out) || isExport(out) || overwrite) {
            return;
        }
        throw new ModelFormatException(output, "is not empty and is not an ONNX export of embedtune (no " + MARKER
                + "); give --overwrite to replace it and everything in it, or choose another --output");
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Whether {@code dir} holds an export embedtune wrote. */
    static boolean isExport(Path dir) {
        Path marker = dir.resolve(MARKER);
        if (!Files.isRegularFile(marker)) {
            return false;
        }
        try {
            return FORMAT.equals(JSON.readTree(marker.toFile()).path("format").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /** Copies the tokenizer, config and sentence-transformers files of {@code md} into {@code dir}. */
    static void writeCompanions(ModelDirectory md, Path dir) throws IOException {
        copyFiles(md.transformerDir(), dir);
        if (!md.transformerDir().equals(md.dir())) {
            copyFiles(md.dir(), dir);    // an old layout (0_Transformer/): the root's README, settings
        }
        ArrayNode modules = JSON.createArrayNode();
        if (md.isSentenceTransformers()) {
            for (ModuleEntry m : md.modules()) {
                boolean transformer = m.simpleType().equals("Transformer");
                modules.add(module(m.idx(), m.name(), transformer ? "" : m.path(), m.type()));
                if (!transformer && !m.path().isEmpty() && Files.isDirectory(md.dir().resolve(m.path()))) {
                    copyTree(md.dir().resolve(m.path()), dir.resolve(m.path()));
                }
            }
        } else {
            // A plain Hugging Face directory, as sentence-transformers wraps it: mean pooling, no normalisation.
            modules.add(module(0, "0", "", ModuleEntry.TRANSFORMER));
            modules.add(module(1, "1", "1_Pooling", ModuleEntry.POOLING));
            Files.createDirectories(dir.resolve("1_Pooling"));
            ObjectNode pooling = JSON.createObjectNode();
            pooling.put("word_embedding_dimension", md.pooling().wordEmbeddingDimension());
            for (String mode : List.of("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens",
                    "lasttoken")) {
                pooling.put("pooling_mode_" + mode, mode.equals("mean_tokens"));
            }
            pooling.put("include_prompt", true);
            Files.write(dir.resolve("1_Pooling/config.json"), JSON.writeValueAsBytes(pooling));
        }
        Files.write(dir.resolve("modules.json"), JSON.writeValueAsBytes(modules));
        if (!Files.exists(dir.resolve("sentence_bert_config.json"))) {
            ObjectNode sbert = JSON.createObjectNode();
            sbert.put("max_seq_length", md.sentenceBert().maxSeqLength());
            sbert.put("do_lower_case", md.sentenceBert().doLowerCase());
            Files.write(dir.resolve("sentence_bert_config.json"), JSON.writeValueAsBytes(sbert));
        }
    }

    static void writeMarker(Path dir, JsonNode description) throws IOException {
        Files.write(dir.resolve(MARKER), JSON.writeValueAsBytes(description));
    }

    private static ObjectNode module(int idx, String name, String path, String type) {
        ObjectNode m = JSON.createObjectNode();
        m.put("idx", idx);
        m.put("name", name);
        m.put("path", path);
        m.put("type", type);
        return m;
    }

    /** The regular files of {@code from} that are not weights, adapters, ONNX files or hidden; not overwriting. */
    private static void copyFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (!isWeightOrPrivate(name) && !Files.exists(to.resolve(name))) {
                    Files.copy(p, to.resolve(name));
                }
            }
        }
    }

    private static boolean isWeightOrPrivate(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.startsWith(".") || n.equals("modules.json") || n.equals(MARKER)
                || n.equals(LoraModel.CONFIG_FILE) || n.startsWith("adapter_model.")
                || n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json") || n.endsWith(".bin")
                || n.endsWith(".bin.index.json") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".h5")
                || n.endsWith(".msgpack") || n.endsWith(".onnx") || n.endsWith(".onnx_data") || n.endsWith(".ckpt");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }
}
