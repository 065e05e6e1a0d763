package dev.embedtune.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden test against Hugging Face's Rust tokenizer (DJL 0.30.0, offline): for every query and
 * passage of ../shared/data/{jargon,foldoc,wordnet}.jsonl (about 255,000 texts) and both
 * built-in BERT tokenizers, input_ids, attention_mask and token_type_ids must be identical
 * (exact; no tolerance). Offsets (UTF-16 char spans into the original text; the data has no
 * supplementary chars, so DJL's code-point spans are the same numbers) are compared for every
 * 25th text. Truncation is off on both sides, as is the MiniLM file's fixed padding. Skipped
 * when ../shared is absent.
 */
class BertDatasetGoldenTest {
    private static final int CHUNK = 4096;

    @ParameterizedTest
    @ValueSource(strings = {Reference.MINILM, Reference.BGE})
    void everyQueryAndPassageMatchesRustTokenizer(String resource) {
        Path data = Reference.sharedData();
        String json = Reference.resource(resource);
        Tokenizer ours = Tokenizer.fromJson(json, resource);
        long[] count = {0};
        try (HuggingFaceTokenizer djl = Reference.djl(json)) {
            for (Path file : Reference.datasets(data)) {
                List<String> chunk = new ArrayList<>(CHUNK);
                Reference.forEachText(file, text -> {
                    chunk.add(text);
                    if (chunk.size() == CHUNK) { compareChunk(resource, file, djl, ours, chunk, count); chunk.clear(); }
                });
                compareChunk(resource, file, djl, ours, chunk, count);
            }
        }
        System.out.printf("%s: %,d texts identical to the Rust tokenizer%n", resource, count[0]);
        assertTrue(count[0] > 250_000, "expected over 250,000 texts, compared " + count[0]);
    }

    private static void compareChunk(String resource, Path file, HuggingFaceTokenizer djl, Tokenizer ours,
                                     List<String> texts, long[] count) {
        if (texts.isEmpty()) return;
        ai.djl.huggingface.tokenizers.Encoding[] expected = djl.batchEncode(texts);
        List<Encoding> actual = ours.encodeBatch(texts).encodings();
        for (int i = 0; i < texts.size(); i++) {
            long n = count[0]++;
            Compare.same(resource + " " + file.getFileName() + " text " + Compare.shorten(texts.get(i)),
                    expected[i], actual.get(i), n % 25 == 0);
        }
    }

    /**
     * Pairs (query, passage) of jargon and foldoc: [CLS] A [SEP] B [SEP] with type ids 0/1, no
     * truncation; then the same pairs truncated longest_first at 64 tokens (short enough that
     * both sides are often cut), and single passages truncated at the model maximum (256 for
     * MiniLM, 512 for bge, as sentence-transformers uses them).
     */
    @ParameterizedTest
    @ValueSource(strings = {Reference.MINILM, Reference.BGE})
    void pairsAndTruncationMatchRustTokenizer(String resource) {
        Path data = Reference.sharedData();
        String json = Reference.resource(resource);
        int modelMax = resource.equals(Reference.MINILM) ? 256 : 512;
        Tokenizer ours = Tokenizer.fromJson(json, resource);
        Tokenizer oursPairs64 = ours.withTruncation(Truncation.of(64));
        Tokenizer oursMax = ours.withTruncation(Truncation.of(modelMax));
        List<String> queries = new ArrayList<>(), passages = new ArrayList<>();
        for (Path file : Reference.datasets(data).subList(0, 2)) {
            List<String> both = new ArrayList<>();
            Reference.forEachText(file, both::add);
            for (int i = 0; i + 1 < both.size(); i += 2) { queries.add(both.get(i)); passages.add(both.get(i + 1)); }
        }
        try (HuggingFaceTokenizer djl = Reference.djl(json);
             HuggingFaceTokenizer djl64 = Reference.djl(json, 64);
             HuggingFaceTokenizer djlMax = Reference.djl(json, modelMax)) {
            PairList<String, String> pairs = new PairList<>(queries, passages);
            ai.djl.huggingface.tokenizers.Encoding[] full = djl.batchEncode(pairs);
            ai.djl.huggingface.tokenizers.Encoding[] cut = djl64.batchEncode(pairs);
            ai.djl.huggingface.tokenizers.Encoding[] single = djlMax.batchEncode(passages);
            List<Encoding> oursFull = ours.encodeBatch(queries, passages).encodings();
            List<Encoding> oursCut = oursPairs64.encodeBatch(queries, passages).encodings();
            List<Encoding> oursSingle = oursMax.encodeBatch(passages).encodings();
            int truncatedBoth = 0, truncatedSingle = 0;
            for (int i = 0; i < queries.size(); i++) {
                String what = resource + " pair " + i + " " + Compare.shorten(queries.get(i));
                Compare.same(what, full[i], oursFull.get(i), i % 25 == 0);
                Compare.same(what + " (max 64)", cut[i], oursCut.get(i), i % 25 == 0);
                Compare.same(what + " passage (max " + modelMax + ")", single[i], oursSingle.get(i), false);
                if (full[i].getIds().length > 64) truncatedBoth++;
                if (oursSingle.get(i).length() == modelMax) truncatedSingle++;
            }
            System.out.printf("%s: %,d pairs identical (%,d cut at 64), %,d passages cut at %d%n", resource,
                    queries.size(), truncatedBoth, truncatedSingle, modelMax);
            assertTrue(truncatedBoth > 1000, "the max-64 case must actually truncate many pairs, did " + truncatedBoth);
            assertTrue(truncatedSingle > 0, "some passage must reach the model maximum, none did");
        }
    }
}
