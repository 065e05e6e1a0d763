package dev.embedtune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Encoding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import dev.embedtune.train.Warnings;
import dev.embedtune.train.data.Utf8Reader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code embedtune tokenize}: one JSON line per input line, in order, with the model's special
 * tokens, truncated to the model's maximum length (sentence-transformers' {@code max_seq_length}
 * first, else {@code max_position_embeddings}), never padded. The output is written to a
 * temporary file and renamed into place.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Tokenize a JSONL field with a model's tokenizer; writes input_ids, attention_mask, token_type_ids per line.")
public final class TokenizeCommand implements Callable<Integer> {
    private static final int BATCH = 512;

    @Option(names = "--model", required = true, description = "Model directory with tokenizer.json (or vocab.txt).")
    Path model;

    @Option(names = "--input", required = true, description = "Input JSONL file.")
    Path input;

    @Option(names = "--field", defaultValue = "text", description = "Text field of each input line (default: ${DEFAULT-VALUE}).")
    String field;

    @Option(names = "--output", required = true, description = "Output JSONL file.")
    Path output;

    @Option(names = "--max-length", description = "Truncate to N tokens including special tokens (default: the model's max length).")
    Integer maxLength;

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if (maxLength != null && maxLength <= 0) throw new IllegalArgumentException("--max-length must be > 0, got " + maxLength);
        if (!Files.isRegularFile(input)) throw new java.nio.file.NoSuchFileException(input.toString(), null, "--input");
        Tokenizer tokenizer = loadTokenizer(model).withTruncation(Truncation.of(maxLength != null ? maxLength : modelMaxLength(model)));
        Integer positions = maxPositions(model);
        if (maxLength != null && positions != null && maxLength > positions) {
            Warnings.warn("--max-length " + maxLength + " exceeds the model's max_position_embeddings " + positions + " ("
                    + model.resolve("config.json") + "); the model cannot embed more than " + positions + " tokens");
        }
        Path dir = output.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dev.embedtune.model.AtomicFiles.newTempFile(dir, "." + output.getFileName());
        long lines = 0;
        long blank = 0;
        try (BufferedReader in = Utf8Reader.lines(input);
             Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            List<String> texts = new ArrayList<>(BATCH);
            String line;
            long lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    blank++;
                    continue;
                }
                texts.add(textOf(line, lineNo));
                if (texts.size() == BATCH) { lines += write(tokenizer.encodeBatch(texts), out); texts.clear(); }
            }
            lines += write(tokenizer.encodeBatch(texts), out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (lines == 0) {
            Warnings.warn(input + ": no records (the file is empty or blank); the output is empty too");
        } else if (blank > 0) {
            Warnings.warn(input + ": " + blank + " blank line" + (blank == 1 ? "" : "s") + " skipped; the output has one line per record");
        }
        System.err.printf("tokenize: %,d lines -> %s (max length %d)%n", lines, output, tokenizer.truncation().maxLength());
        return 0;
    }

    private String textOf(String line, long lineNo) throws IOException {
        JsonNode node;
        try {
            node = mapper.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(input + ":" + lineNo + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(input + ":" + lineNo + ": expected a string field \"" + field + "\", found "
                    + (v == null ? "none" : v.getNodeType()));
        }
        return v.textValue();
    }

    private long write(BatchEncoding batch, Writer out) throws IOException {
        for (Encoding e : batch.encodings()) {
            StringBuilder sb = new StringBuilder(e.length() * 12 + 64);
            sb.append("{\"input_ids\":");
            append(sb, e.ids());
            sb.append(",\"attention_mask\":");
            append(sb, e.attentionMask());
            sb.append(",\"token_type_ids\":");
            append(sb, e.typeIds());
            sb.append("}\n");
            out.write(sb.toString());
        }
        return batch.size();
    }

    private static void append(StringBuilder sb, int[] values) {
        sb.append('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(values[i]);
        }
        sb.append(']');
    }

    /** tokenizer.json, else vocab.txt with BERT's pipeline (lower case unless tokenizer_config.json says otherwise). */
    static Tokenizer loadTokenizer(Path dir) throws IOException {
        Path json = dir.resolve("tokenizer.json");
        if (Files.exists(json)) return Tokenizer.fromFile(json);
        Path vocab = dir.resolve("vocab.txt");
        if (Files.exists(vocab)) {
            boolean lowercase = true;
            Path config = dir.resolve("tokenizer_config.json");
            if (Files.exists(config)) {
                JsonNode lower = new ObjectMapper().readTree(config.toFile()).get("do_lower_case");
                if (lower != null && lower.isBoolean()) lowercase = lower.booleanValue();
            }
            return Tokenizer.fromVocab(vocab, lowercase);
        }
        throw new IllegalArgumentException(dir + ": no tokenizer.json or vocab.txt in the model directory");
    }

    /** config.json's max_position_embeddings, or null without one. */
    private static Integer maxPositions(Path dir) throws IOException {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) return null;
        JsonNode v = new ObjectMapper().readTree(config.toFile()).get("max_position_embeddings");
        return v != null && v.canConvertToInt() && v.intValue() > 0 ? v.intValue() : null;
    }

    /** sentence_bert_config.json's max_seq_length, else config.json's max_position_embeddings. */
    static int modelMaxLength(Path dir) throws IOException {
        ObjectMapper m = new ObjectMapper();
        Path st = dir.resolve("sentence_bert_config.json");
        if (Files.exists(st)) {
            JsonNode v = m.readTree(st.toFile()).get("max_seq_length");
            if (v != null && v.canConvertToInt() && v.intValue() > 0) return v.intValue();
            throw new IllegalArgumentException(st + ": max_seq_length: expected a positive integer, found " + v);
        }
        Path config = dir.resolve("config.json");
        if (Files.exists(config)) {
            JsonNode v = m.readTree(config.toFile()).get("max_position_embeddings");
            if (v != null && v.canConvertToInt() && v.intValue() > 0) return v.intValue();
            throw new IllegalArgumentException(config + ": max_position_embeddings: expected a positive integer, found " + v);
        }
        throw new IllegalArgumentException(dir + ": no sentence_bert_config.json or config.json to take the max length from; pass --max-length");
    }
}
