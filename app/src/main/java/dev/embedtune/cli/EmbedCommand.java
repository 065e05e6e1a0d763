package dev.embedtune.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.embed.EmbeddingQuantizer;
import dev.embedtune.model.embed.Precision;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.Warnings;
import dev.embedtune.train.data.Utf8Reader;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune embed}: one {@code {"embedding":[…]}} line per input line, in order. Input is
 * read and written in chunks, so memory stays bounded however long the file is.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed the texts of a JSONL file, one {\"embedding\":[...]} line per input line.")
public final class EmbedCommand implements Callable<Integer> {
    private static final int CHUNK = 4096;

    @Option(names = "--model", required = true, description = "Model directory, or builtin:all-minilm-l6-v2 / builtin:bge-small-en-v1.5")
    String model;

    @Option(names = "--input", required = true, description = "JSONL file, one object per line")
    Path input;

    @Option(names = "--field", defaultValue = "text", description = "The field holding the text (default: ${DEFAULT-VALUE})")
    String field;

    @Option(names = "--output", required = true, description = "JSONL file to write (atomically)")
    Path output;

    @Option(names = "--batch-size", defaultValue = "32", description = "Texts per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--max-length", description = "Tokens per text, special tokens included (default: the model's max_seq_length)")
    Integer maxLength;

    @Option(names = "--prompt", description = "Text put before every input, e.g. 'query: ' (default: the model's default prompt)")
    String prompt;

    @Option(names = "--truncate-dim", description = "Keep the first D dimensions (Matryoshka models)")
    Integer truncateDim;

    @Option(names = "--precision", defaultValue = "float32",
            description = "float32, int8, uint8, binary or ubinary (sentence-transformers' quantize_embeddings); "
                    + "int8/uint8 take their per-dimension ranges from the first 4,096 texts (default: ${DEFAULT-VALUE})")
    String precision;

    @Spec
    CommandSpec spec;

    private Precision outputPrecision;
    private float[][] ranges;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(input)) {
            throw new ParameterException(spec.commandLine(), "--input " + input + ": no such file");
        }
        Embedder embedder;
        try {
            outputPrecision = Precision.parse(precision);
            embedder = Embedder.load(ModelCache.resolve(model), new Embedder.Options(batchSize, maxLength, truncateDim));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        int positions = embedder.model().config().maxPositionEmbeddings();
        if (maxLength != null && maxLength > positions) {
            Warnings.warn("--max-length " + maxLength + " exceeds the model's max_position_embeddings " + positions + " ("
                    + embedder.model().transformerDir().resolve("config.json") + "); texts are cut at " + positions + " tokens");
        }
        ObjectMapper json = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        long total = 0;
        try (BufferedReader check = Utf8Reader.lines(input)) {   // the whole input is checked before anything is embedded
            for (String line; (line = check.readLine()) != null; ) {
                text(json, line, ++total);
            }
        }
        if (total == 0) {
            Warnings.warn(input + ": empty file; the output has no embeddings either");
        }
        Path dir = output.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dev.embedtune.model.AtomicFiles.newTempFile(dir, "." + output.getFileName());
        long lines = 0;
        try (BufferedReader in = Utf8Reader.lines(input);
             BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
             ProgressBar bar = new ProgressBarBuilder().setTaskName("embed").setInitialMax(total)
                     .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
            List<String> chunk = new ArrayList<>(CHUNK);
            String line;
            long lineNumber = 0;
            while ((line = in.readLine()) != null) {
                lineNumber++;
                chunk.add(text(json, line, lineNumber));
                if (chunk.size() == CHUNK) {
                    lines += write(embedder, chunk, json, out);
                    bar.stepTo(lines);
                    chunk.clear();
                }
            }
            lines += write(embedder, chunk, json, out);
            bar.stepTo(lines);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        spec.commandLine().getOut().printf("%,d embeddings of dimension %d -> %s%n", lines, embedder.dimension(), output);
        return 0;
    }

    private String text(ObjectMapper json, String line, long lineNumber) throws IOException {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IOException(input + ":" + lineNumber + ": not a JSON object: " + e.getOriginalMessage(), e);
        }
        JsonNode value = node == null ? null : node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IOException(input + ":" + lineNumber + ": field \"" + field + "\" should be a string, found " + value);
        }
        return value.textValue();
    }

    private int write(Embedder embedder, List<String> texts, ObjectMapper json, BufferedWriter out) throws IOException {
        if (texts.isEmpty()) {
            return 0;
        }
        float[][] vectors = prompt == null ? embedder.encode(texts) : embedder.encode(texts, prompt);
        if (outputPrecision == Precision.FLOAT32) {
            for (float[] v : vectors) {
                out.write("{\"embedding\":" + json.writeValueAsString(v) + "}\n");
            }
        } else {
            if (ranges == null) {
                ranges = EmbeddingQuantizer.ranges(vectors);
            }
            for (int[] v : EmbeddingQuantizer.quantize(vectors, outputPrecision, ranges)) {
                out.write("{\"embedding\":" + json.writeValueAsString(v) + "}\n");
            }
        }
        return vectors.length;
    }
}
