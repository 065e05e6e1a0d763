package dev.embedtune.model.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.card.RunFacts;
import dev.embedtune.model.st.ModelDirectoryWriter;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.model.st.SentenceBertConfig;
import dev.embedtune.model.st.SentenceTransformersConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code embedtune import-onnx}: an ONNX BERT export plus its tokenizer.json become a complete
 * sentence-transformers directory.
 */
public final class BertImport {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the imported model pools and how long its inputs may be. */
    public record Options(PoolingConfig.Mode pooling, boolean normalize, int maxSeqLength, int modelMaxLength) {
    }

    private BertImport() {
    }

    /** Imports a built-in model from the classpath into {@code outputDir}. */
    public static OnnxBertImporter.ImportedBert builtin(BuiltinModel model, Path outputDir) throws IOException {
        ClassLoader loader = BertImport.class.getClassLoader();
        byte[] onnx = resource(loader, model, model.onnxResource());
        byte[] tokenizer = resource(loader, model, model.tokenizerResource());
        return write(onnx, "classpath:" + model.onnxResource(), tokenizer, "classpath:" + model.tokenizerResource(),
                new Options(model.pooling(), true, model.maxSeqLength(), model.modelMaxLength()), outputDir, model.origin());
    }

    /** Imports an ONNX file and a tokenizer.json file. */
    public static OnnxBertImporter.ImportedBert files(Path onnx, Path tokenizerJson, Options options, Path outputDir)
            throws IOException {
        for (Path p : List.of(onnx, tokenizerJson)) {
            if (!Files.isRegularFile(p)) {
                throw new ModelFormatException(p, "no such file");
            }
            if (Files.size(p) > Integer.MAX_VALUE - 8) {
                throw new ModelFormatException(p, "is " + Files.size(p) + " bytes; the importer reads files up to 2 GiB "
                        + "(larger ONNX exports keep their weights in external data files, which it does not read)");
            }
        }
        return write(Files.readAllBytes(onnx), onnx.toString(), Files.readAllBytes(tokenizerJson),
                tokenizerJson.toString(), options, outputDir, onnx.toString());
    }

    /** A built-in's file from its jar; the error names the dependency that brings it. */
    static byte[] resource(ClassLoader loader, BuiltinModel model, String name) throws IOException {
        try (InputStream in = loader.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("the built-in model " + BuiltinModel.PREFIX + model.id() + " is not on the classpath ("
                        + name + " not found): add the dependency " + BuiltinModel.MODELS_ARTIFACT
                        + " (<type>pom</type>, it brings every built-in), or " + model.artifact()
                        + " with its transitive dependencies excluded; or load a model directory instead");
            }
            return in.readAllBytes();
        }
    }

    private static OnnxBertImporter.ImportedBert write(byte[] onnx, String onnxName, byte[] tokenizer,
            String tokenizerName, Options options, Path outputDir, String origin) throws IOException {
        OnnxBertImporter.ImportedBert bert;
        try {
            bert = OnnxBertImporter.importGraph(OnnxGraph.parse(ByteBuffer.wrap(onnx)));
        } catch (OnnxFormatException e) {
            throw new ModelFormatException(Path.of(onnxName), e.getMessage(), e);
        }
        ObjectNode tok = readTokenizer(tokenizer, tokenizerName);
        List<String> vocab = wordPieceVocab(tok, tokenizerName);
        if (vocab.size() != bert.config().vocabSize()) {
            throw new ModelFormatException(Path.of(tokenizerName), "vocabulary has " + vocab.size()
                    + " tokens but the model's word embeddings have " + bert.config().vocabSize() + " rows");
        }
        // sentence-transformers ignores a tokenizer.json's own truncation and padding (it truncates
        // at max_seq_length and pads to the longest); a file that keeps them (MiniLM's: 128) would
        // silently cut and pad every text for any other reader, so they are cleared.
        tok.putNull("truncation");
        tok.putNull("padding");
        boolean lowercase = tok.path("normalizer").path("lowercase").asBoolean(false);
        Map<String, String> special = specialTokens(tok);
        Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
        tokenizerConfig.put("clean_up_tokenization_spaces", true);
        special.forEach(tokenizerConfig::put);
        tokenizerConfig.put("do_basic_tokenize", true);
        tokenizerConfig.put("do_lower_case", lowercase);
        tokenizerConfig.put("model_max_length", options.modelMaxLength());
        tokenizerConfig.put("never_split", null);
        tokenizerConfig.put("strip_accents", null);
        tokenizerConfig.put("tokenize_chinese_chars", true);
        tokenizerConfig.put("tokenizer_class", "BertTokenizer");
        ModelDirectoryWriter.write(outputDir, new ModelDirectoryWriter.Contents(bert.config(),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(tok), tokenizerConfig, special, vocab,
                PoolingConfig.of(options.pooling(), bert.config().hiddenSize()), options.normalize(),
                new SentenceBertConfig(options.maxSeqLength(), false), SentenceTransformersConfig.DEFAULT),
                bert.toSafetensors(), RunFacts.of(origin));
        return bert;
    }

    private static ObjectNode readTokenizer(byte[] bytes, String name) throws ModelFormatException {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n instanceof ObjectNode o) {
                return o;
            }
            throw new ModelFormatException(Path.of(name), "should hold a JSON object");
        } catch (IOException e) {
            throw new ModelFormatException(Path.of(name), "not valid JSON: " + e.getMessage());
        }
    }

    /** vocab.txt's lines: model.vocab (token → id) of a WordPiece tokenizer, in id order. */
    static List<String> wordPieceVocab(JsonNode tok, String name) throws ModelFormatException {
        JsonNode model = tok.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new ModelFormatException(Path.of(name), "model.type is \"" + model.path("type").asText()
                    + "\"; the BERT importer needs a WordPiece tokenizer");
        }
        JsonNode vocab = model.path("vocab");
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= byId.length || byId[id] != null) {
                throw new ModelFormatException(Path.of(name), "model.vocab." + e.getKey() + " has id " + e.getValue()
                        + ": ids must be 0.." + (byId.length - 1) + ", each once");
            }
            byId[id] = e.getKey();
        }
        return new ArrayList<>(List.of(byId));
    }

    private static Map<String, String> specialTokens(JsonNode tok) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode t : tok.path("added_tokens")) {
            if (!t.path("special").asBoolean(false)) {
                continue;
            }
            String content = t.path("content").asText();
            String key = switch (content) {
                case "[CLS]" -> "cls_token";
                case "[SEP]" -> "sep_token";
                case "[PAD]" -> "pad_token";
                case "[UNK]" -> "unk_token";
                case "[MASK]" -> "mask_token";
                default -> null;
            };
            if (key != null) {
                out.put(key, content);
            }
        }
        return out;
    }
}
