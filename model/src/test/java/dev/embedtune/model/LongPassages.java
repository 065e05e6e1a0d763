package dev.embedtune.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Real long texts for tests at 512 to 2,048+ tokens: the longest passages of FOLDOC in
 * ../shared/data (entries of 5 to 22 thousand characters of prose, about a thousand to five
 * thousand WordPiece tokens), joined one after another when a longer text is wanted. Tests skip
 * with a message when the shared data is absent ({@link SharedData#file}).
 */
public final class LongPassages {
    private LongPassages() {
    }

    /** The {@code count} longest distinct passages of foldoc.jsonl, longest first. */
    public static List<String> longest(int count) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> all = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(SharedData.file("foldoc.jsonl"))) {
            String line;
            while ((line = r.readLine()) != null) {
                all.add(json.readTree(line).get("passage").asText());
            }
        }
        return all.stream().distinct().sorted(Comparator.comparingInt(String::length).reversed()).limit(count).toList();
    }

    /**
     * Exactly {@code length} token ids of real text: the word pieces of {@code passages} from
     * {@code first} on, joined in order until there are enough (no special tokens; ids below
     * {@code vocabLimit}, others folded into range by their remainder, for models with a smaller vocabulary).
     */
    public static int[] ids(Tokenizer tokenizer, List<String> passages, int first, int length, int vocabLimit) {
        int[] out = new int[length];
        int n = 0;
        for (int p = first; n < length; p++) {
            if (p == first + passages.size()) {
                throw new IllegalStateException(length + " tokens wanted, the passages hold only " + n);
            }
            for (int id : tokenizer.encode(passages.get(p % passages.size()), false).ids()) {
                if (n == length) {
                    break;
                }
                out[n++] = id % vocabLimit;
            }
        }
        return out;
    }
}
