package dev.embedtune.bench;

import dev.embedtune.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Texts that tokenise to exactly a given number of tokens: {@code tokens - 2} random whole words of a
 * BERT vocabulary (lower-case ASCII letters only, no {@code ##} pieces, ids from 1000 on), joined by
 * spaces, so that [CLS] + words + [SEP] is the length asked for. APIs that take texts
 * ({@code Embedder.encode}, {@code SentenceTransformer.encode}, the trainer) then run exactly the
 * shapes of the benchmarks that take random ids; the Python peer builds its texts the same way.
 */
final class ExactLengthTexts {
    private ExactLengthTexts() {
    }

    static List<String> of(Tokenizer tokenizer, int count, int tokens, long seed) {
        List<String> words = new ArrayList<>();
        for (int id = 1000; id < tokenizer.vocabSize(); id++) {
            String w = tokenizer.idToToken(id);
            if (w != null && !w.isEmpty() && w.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
                words.add(w);
            }
        }
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < tokens - 2; w++) {
                text.append(w == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
            }
            int length = tokenizer.encode(text.toString()).ids().length;
            if (length != tokens) {
                throw new IllegalStateException("a text of " + (tokens - 2) + " vocabulary words tokenised to " + length
                        + " tokens, expected " + tokens);
            }
            texts.add(text.toString());
        }
        return texts;
    }
}
