package dev.embedtune.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Hand-checked cases: each expectation is written out literally. */
class TokenizerLiteralTest {
    private static final Tokenizer BERT = Tokenizer.fromJson(Reference.resource(Reference.MINILM));

    private static List<String> words(PreTokenizer p, String text) {
        List<Piece> out = new ArrayList<>();
        p.preTokenize(Unicode.identity(text, 0, text.length()), out);
        List<String> s = new ArrayList<>();
        for (Piece w : out) s.add(w + "@" + w.starts[w.from] + "-" + w.ends[w.to - 1]);
        return s;
    }

    @Test
    void bertPreTokenizerIsolatesPunctuation() {
        assertEquals(List.of("Hey@0-3", "friend@4-10", "!@10-11", "How@16-19", "are@20-23", "you@24-27", "?@27-28", "!@28-29", "?@29-30"),
                words(new BertPreTokenizer(), "Hey friend!     How are you?!?"));
        // $ + < = > ^ ` | ~ are ASCII punctuation for BERT although Unicode calls them symbols.
        assertEquals(List.of("a@0-1", "$@1-2", "b@2-3", "~@3-4"), words(new BertPreTokenizer(), "a$b~"));
    }

    @Test
    void gpt2SplitPattern() {
        IntList b = new IntList();
        String s = "Hello world's  end\n\n 123!";
        ByteLevelPreTokenizer.gpt2Split(s.toCharArray(), 0, s.length(), b);
        List<String> parts = new ArrayList<>();
        for (int k = 0; k < b.size(); k += 2) parts.add(s.substring(b.get(k), b.get(k + 1)));
        assertEquals(List.of("Hello", " world", "'s", " ", " end", "\n\n", " 123", "!"), parts);
    }

    @Test
    void bertNormalizerAndWordPiece() {
        Encoding e = BERT.encode("Héllo, UNAFFABLE wörld!");
        assertArrayEquals(new String[] {"[CLS]", "hello", ",", "una", "##ffa", "##ble", "world", "!", "[SEP]"}, e.tokens());
        // Offsets point into the original text (the accent and the upper case are gone only in the tokens).
        assertEquals(7, e.starts()[3]);
        assertEquals(10, e.ends()[3]);
        assertEquals(16, e.ends()[5]);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0}, e.typeIds());
    }

    @Test
    void wordLongerThan100CharsIsUnk() {
        assertArrayEquals(new String[] {"[CLS]", "[UNK]", "[SEP]"}, BERT.encode("a".repeat(101)).tokens());
        // Exactly 100 chars is still split into pieces, not [UNK].
        assertEquals(-1, Arrays.asList(BERT.encode("a".repeat(100)).tokens()).indexOf("[UNK]"));
    }

    @Test
    void pairTypeIdsTruncationAndPadding() {
        Encoding p = BERT.encode("one two", "three");
        assertArrayEquals(new String[] {"[CLS]", "one", "two", "[SEP]", "three", "[SEP]"}, p.tokens());
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1}, p.typeIds());
        Tokenizer t = BERT.withTruncation(Truncation.of(5)).withPadding(Padding.longest());
        // Budget 5 - 3 specials = 2: "one two" (2) vs "three" (1) -> n1=1 fits half, the longer keeps 1.
        assertArrayEquals(new String[] {"[CLS]", "one", "[SEP]", "three", "[SEP]"}, t.encode("one two", "three").tokens());
        BatchEncoding batch = t.encodeBatch(List.of("a", "b c d e f g"));
        assertArrayEquals(new int[] {101, 1037, 102, 0, 0}, batch.inputIds()[0]);
        assertArrayEquals(new int[] {1, 1, 1, 0, 0}, batch.attentionMask()[0]);
        assertArrayEquals(new int[] {101, 1038, 1039, 1040, 102}, batch.inputIds()[1]);
        assertEquals(5, batch.sequenceLength());
        BatchEncoding fixed = BERT.withPadding(Padding.fixed(8)).encodeBatch(List.of("a"));
        assertArrayEquals(new int[] {101, 1037, 102, 0, 0, 0, 0, 0}, fixed.inputIds()[0]);
        assertEquals("[PAD]", BERT.padToken());
        assertEquals(128, BERT.fileTruncationMaxLength()); // read, but not applied:
        assertEquals(302, BERT.encode("x ".repeat(300)).length());
    }

    @Test
    void specialTokenLiteralsInText() {
        assertArrayEquals(new String[] {"[CLS]", "a", "[SEP]", "b", "[", "sep", "]", "[SEP]"}, BERT.encode("a[SEP]b [sep]").tokens());
    }

    @Test
    void decode() {
        int[] ids = BERT.encode("Hello, I'm unaffable.").ids();
        // Hugging Face's cleanup works token by token, so "i ' m" keeps its spaces.
        assertEquals("hello, i ' m unaffable.", BERT.decode(ids, true));
        assertEquals("[CLS] hello, i ' m unaffable. [SEP]", BERT.decode(ids, false));
        assertNull(BERT.idToToken(1_000_000));
    }

    @Test
    void fromVocabTxtMatchesTokenizerJson() throws IOException {
        String[] byId = new String[BERT.vocabSize()];
        for (int i = 0; i < byId.length; i++) byId[i] = BERT.idToToken(i);
        Path vocab = Files.createTempFile("vocab", ".txt");
        try {
            Files.write(vocab, Arrays.asList(byId));
            Tokenizer fromVocab = Tokenizer.fromVocab(vocab, true);
            for (String t : Texts.adversarial()) {
                assertArrayEquals(BERT.encode(t).ids(), fromVocab.encode(t).ids(), Compare.shorten(t));
                assertArrayEquals(BERT.encode(t, "pair").typeIds(), fromVocab.encode(t, "pair").typeIds());
            }
        } finally {
            Files.deleteIfExists(vocab);
        }
    }
}
