package dev.embedtune.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The other components (Split with a regex, Sequence of pre-tokenizers and normalizers,
 * NFC/NFKC/NFD, StripAccents, Lowercase, Digits, Punctuation, WhitespaceSplit, ByteLevel without
 * its regex, BPE ignore_merges) against the Rust tokenizer, on synthetic tokenizer.json files
 * built here from the real GPT-2 and MiniLM vocabularies. 3,000 random texts plus the
 * adversarial set each; ids, masks and type ids exact, offsets on the random texts.
 */
class ComponentGoldenTest {
    /** Llama 3's split pattern (Oniguruma syntax, case-insensitive contractions, digits in threes). */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    @ParameterizedTest
    @ValueSource(strings = {"llama3-split", "neox-digits", "bert-sequence", "roberta"})
    void syntheticTokenizerMatchesRust(String variant) throws IOException {
        String json = build(variant);
        Tokenizer ours = Tokenizer.fromJson(json, variant);
        List<String> texts = new ArrayList<>(Texts.randomCorpus(variant.hashCode(), 3000, 200));
        int random = texts.size();
        texts.addAll(Texts.adversarial());
        try (HuggingFaceTokenizer djl = Reference.djl(json)) {
            ai.djl.huggingface.tokenizers.Encoding[] expected = djl.batchEncode(texts);
            List<Encoding> actual = ours.encodeBatch(texts).encodings();
            List<String> seconds = new ArrayList<>(texts.subList(1, texts.size()));
            seconds.add("last");
            ai.djl.huggingface.tokenizers.Encoding[] pairs = djl.batchEncode(new ai.djl.util.PairList<>(texts, seconds));
            List<Encoding> ourPairs = ours.encodeBatch(texts, seconds).encodings();
            for (int i = 0; i < texts.size(); i += 7) {
                Compare.same(variant + " pair " + i, pairs[i], ourPairs.get(i), false);
            }
            for (int i = 0; i < texts.size(); i++) {
                // Offsets are not compared for llama3-split: with ignore_merges, the Rust library
                // (0.20.0, inside DJL 0.30.0) gives a whole-word hit the offsets (0, 0) within its word
                // ("ab cd" -> (0,0) (2,2)); ours are the word's span.
                boolean offsets = i < random && !variant.equals("llama3-split");
                Compare.same(variant + " text " + i + " " + Compare.shorten(texts.get(i)), expected[i], actual.get(i), offsets);
            }
        }
    }

    static String build(String variant) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = (ObjectNode) m.readTree(variant.startsWith("bert") ? Reference.resource(Reference.MINILM)
                : Gpt2Vocabulary.tokenizerJson());
        switch (variant) {
            case "llama3-split" -> {
                root.set("normalizer", m.readTree("{\"type\":\"NFC\"}"));
                root.set("pre_tokenizer", m.readTree("{\"type\":\"Sequence\",\"pretokenizers\":["
                        + "{\"type\":\"Split\",\"pattern\":{\"Regex\":" + m.writeValueAsString(LLAMA3) + "},"
                        + "\"behavior\":\"Isolated\",\"invert\":false},"
                        + "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]}"));
                ((ObjectNode) root.get("model")).put("ignore_merges", true);
            }
            case "neox-digits" -> {
                root.set("normalizer", m.readTree("{\"type\":\"NFKC\"}"));
                root.set("pre_tokenizer", m.readTree("{\"type\":\"Sequence\",\"pretokenizers\":["
                        + "{\"type\":\"Digits\",\"individual_digits\":true},"
                        + "{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"behavior\":\"MergedWithNext\",\"invert\":false},"
                        + "{\"type\":\"Split\",\"pattern\":{\"String\":\",\"},\"behavior\":\"MergedWithPrevious\",\"invert\":false},"
                        + "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true}]}"));
                root.set("post_processor", m.readTree("{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true}"));
            }
            case "bert-sequence" -> {
                root.set("normalizer", m.readTree("{\"type\":\"Sequence\",\"normalizers\":["
                        + "{\"type\":\"NFD\"},{\"type\":\"StripAccents\"},{\"type\":\"Lowercase\"}]}"));
                root.set("pre_tokenizer", m.readTree("{\"type\":\"Sequence\",\"pretokenizers\":["
                        + "{\"type\":\"WhitespaceSplit\"},{\"type\":\"Punctuation\",\"behavior\":\"Contiguous\"}]}"));
            }
            case "roberta" -> {
                // RoBERTa's layout: <mask> swallows the space before it (lstrip), RobertaProcessing
                // with offset trimming; <s>, </s>, <mask> appended after GPT-2's 50,257 ids.
                var added = (com.fasterxml.jackson.databind.node.ArrayNode) root.get("added_tokens");
                added.add(m.readTree("{\"id\":50257,\"content\":\"<s>\",\"special\":true,\"normalized\":false,"
                        + "\"lstrip\":false,\"rstrip\":false,\"single_word\":false}"));
                added.add(m.readTree("{\"id\":50258,\"content\":\"</s>\",\"special\":true,\"normalized\":false,"
                        + "\"lstrip\":false,\"rstrip\":false,\"single_word\":false}"));
                added.add(m.readTree("{\"id\":50259,\"content\":\"<mask>\",\"special\":true,\"normalized\":false,"
                        + "\"lstrip\":true,\"rstrip\":false,\"single_word\":false}"));
                root.set("post_processor", m.readTree("{\"type\":\"RobertaProcessing\",\"sep\":[\"</s>\",50258],"
                        + "\"cls\":[\"<s>\",50257],\"trim_offsets\":true,\"add_prefix_space\":false}"));
            }
            default -> throw new IllegalArgumentException(variant);
        }
        return m.writeValueAsString(root);
    }
}
