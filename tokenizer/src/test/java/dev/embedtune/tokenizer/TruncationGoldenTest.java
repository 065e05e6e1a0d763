package dev.embedtune.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Truncation strategies against the Rust tokenizer on 1,000 random pairs (no ../shared needed):
 * longest_first, only_first and only_second at max length 24 (including the 3 special tokens),
 * plus single texts at 24 and pairs with an empty side. Exact ids, masks, type ids.
 */
class TruncationGoldenTest {

    @Test
    void strategiesMatchRustTokenizer() throws IOException {
        String json = Reference.resource(Reference.BGE);
        Tokenizer base = Tokenizer.fromJson(json);
        List<String> firsts = Texts.randomCorpus(11, 1000, 150);
        List<String> seconds = Texts.randomCorpus(12, 1000, 150);
        Path dir = Files.createTempDirectory("djl-trunc");
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        try (HuggingFaceTokenizer longest = HuggingFaceTokenizer.builder().optTokenizerPath(file).optPadding(false)
                     .optTruncation(true).optMaxLength(24).build();
             HuggingFaceTokenizer onlyFirst = HuggingFaceTokenizer.builder().optTokenizerPath(file).optPadding(false)
                     .optTruncateFirstOnly().optMaxLength(24).build();
             HuggingFaceTokenizer onlySecond = HuggingFaceTokenizer.builder().optTokenizerPath(file).optPadding(false)
                     .optTruncateSecondOnly().optMaxLength(24).build()) {
            Tokenizer oursLongest = base.withTruncation(new Truncation(24, TruncationStrategy.LONGEST_FIRST));
            Tokenizer oursFirst = base.withTruncation(new Truncation(24, TruncationStrategy.ONLY_FIRST));
            Tokenizer oursSecond = base.withTruncation(new Truncation(24, TruncationStrategy.ONLY_SECOND));
            int onlyChecked = 0;
            for (int i = 0; i < firsts.size(); i++) {
                String a = firsts.get(i), b = seconds.get(i);
                String what = "pair " + i + " " + Compare.shorten(a) + " / " + Compare.shorten(b);
                Compare.same(what + " longest_first", longest.encode(a, b), oursLongest.encode(a, b), false);
                Compare.same(what + " single", longest.encode(a), oursLongest.encode(a), false);
                Compare.same(what + " empty second", longest.encode(a, ""), oursLongest.encode(a, ""), false);
                Compare.same(what + " empty first", longest.encode("", b), oursLongest.encode("", b), false);
                // only_first / only_second fail in both libraries when the chosen side is too short.
                int na = base.encode(a, false).length(), nb = base.encode(b, false).length();
                int excess = na + nb + 3 - 24;
                if (excess > 0 && na > excess) {
                    Compare.same(what + " only_first", onlyFirst.encode(a, b), oursFirst.encode(a, b), false);
                    onlyChecked++;
                }
                if (excess > 0 && nb > excess) {
                    Compare.same(what + " only_second", onlySecond.encode(a, b), oursSecond.encode(a, b), false);
                    onlyChecked++;
                }
                if (excess > 0 && na <= excess) {
                    assertThrows(RuntimeException.class, () -> onlyFirst.encode(a, b), what + ": DJL only_first should fail");
                    assertThrows(IllegalArgumentException.class, () -> oursFirst.encode(a, b), what + ": ours only_first should fail");
                }
            }
            if (onlyChecked < 100) throw new AssertionError("too few only_first/only_second cases: " + onlyChecked);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
