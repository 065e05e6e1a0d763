package dev.embedtune.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Hostile inputs through all three tokenizers (MiniLM, bge, GPT-2 byte-level BPE), compared
 * exactly with the Rust tokenizer via DJL: ids, attention mask, type ids, offsets (UTF-16 char
 * spans; these texts have no supplementary chars), as single texts and as pairs, and decoding.
 * Runs without ../shared.
 *
 * <p>Supplementary chars (emoji, ZWJ sequences) and NUL are compared directly, with DJL's
 * code-point offsets converted to UTF-16 indices. A lone surrogate cannot reach Rust intact
 * through DJL's JNI string conversion ({@link Texts#jniView}); for those the reference is DJL on
 * the original string and ours runs on the string Rust actually received, and our own handling
 * (a lone surrogate is U+FFFD) is pinned by literal cases below.
 */
class AdversarialGoldenTest {
    private static final Map<String, String> JSON = new LinkedHashMap<>();
    private static final Map<String, HuggingFaceTokenizer> DJL = new LinkedHashMap<>();

    @BeforeAll
    static void load() {
        JSON.put("minilm", Reference.resource(Reference.MINILM));
        JSON.put("bge", Reference.resource(Reference.BGE));
        JSON.put("gpt2", Gpt2Vocabulary.tokenizerJson());
        JSON.forEach((k, v) -> DJL.put(k, Reference.djl(v)));
    }

    @AfterAll
    static void close() {
        DJL.values().forEach(HuggingFaceTokenizer::close);
    }

    @ParameterizedTest
    @ValueSource(strings = {"minilm", "bge", "gpt2"})
    void adversarialTextsMatch(String name) {
        Tokenizer ours = Tokenizer.fromJson(JSON.get(name), name);
        HuggingFaceTokenizer djl = DJL.get(name);
        List<String> texts = Texts.adversarial();
        for (String t : texts) {
            String what = name + " " + Compare.shorten(t);
            Compare.same(what, djl.encode(t), ours.encode(t), true);
            Compare.same(what + " as a pair", djl.encode(t, "second part"), ours.encode(t, "second part"), true);
            Compare.same(what + " as second of a pair", djl.encode("first", t), ours.encode("first", t), true);
            long[] ids = djl.encode(t).getIds();
            int[] ourIds = ours.encode(t).ids();
            assertEquals(djl.decode(ids, true), ours.decode(ourIds, true), what + ": decode, skipping special tokens");
            assertEquals(djl.decode(ids, false), ours.decode(ourIds, false), what + ": decode with special tokens");
        }
        for (String t : Texts.supplementary()) {
            String what = name + " " + Compare.shorten(t);
            Compare.same(what, djl.encode(t), ours.encode(t), t);
            Compare.same(what + " as a pair", djl.encode(t, "x"), ours.encode(t, "x"), t, "x");
            Compare.same(what + " as second of a pair", djl.encode("y", t), ours.encode("y", t), "y", t);
            assertEquals(djl.decode(djl.encode(t).getIds(), true), ours.decode(ours.encode(t).ids(), true), what + ": decode");
        }
        for (String t : Texts.loneSurrogates()) {
            String rustSees = Texts.jniView(t);
            Compare.same(name + " " + Compare.shorten(t) + " (as Rust receives it through JNI)", djl.encode(t),
                    ours.encode(rustSees), false);
        }
    }

    /** Our handling of chars DJL cannot pass through: what Hugging Face's Python binding gives. */
    @Test
    void supplementaryCharsNulAndLoneSurrogates() {
        Tokenizer bert = Tokenizer.fromJson(JSON.get("minilm"));
        // An emoji is one char: not in BERT's vocabulary, so [UNK] spanning both UTF-16 units.
        Encoding e = bert.encode("hi 😀");
        assertArrayEquals(new int[] {101, 7632, 100, 102}, e.ids());
        assertEquals(3, e.starts()[2]);
        assertEquals(5, e.ends()[2]);
        // NUL is removed by clean_text; a lone surrogate is U+FFFD, also removed.
        assertArrayEquals(bert.encode("ab").ids(), bert.encode("a\u0000b").ids());
        assertArrayEquals(bert.encode("x y").ids(), bert.encode("x\uD800 y").ids());
        Tokenizer gpt2 = Tokenizer.fromJson(JSON.get("gpt2"));
        // U+1F600 is F0 9F 98 80 in UTF-8, i.e. the byte-level chars "ðŁĺĢ"; GPT-2 merges them to
        // "ðŁĺ" + "Ģ" (ids 47249, 222), both taken from encoder.json.
        assertArrayEquals(new int[] {gpt2.tokenToId("ðŁĺ"), gpt2.tokenToId("Ģ")}, gpt2.encode("😀").ids());
        assertEquals("😀 ok", gpt2.decode(gpt2.encode("😀 ok").ids(), false));
    }
}
