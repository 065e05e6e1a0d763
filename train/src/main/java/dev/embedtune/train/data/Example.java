package dev.embedtune.train.data;

import java.util.List;

/**
 * One training or evaluation example.
 *
 * @param texts the text columns in role order: anchor, positive, then the negatives in mapping order
 * @param label the float score ({@link ExampleFormat#PAIR_SCORE}) or the 0/1 label
 *     ({@link ExampleFormat#PAIR_LABEL}); {@code null} for the other formats
 * @param group the group the example belongs to (e.g. the headword), {@code null} when the data has none
 */
public record Example(List<String> texts, Double label, String group) {

    public Example {
        texts = List.copyOf(texts);
        if (texts.size() < 2) {
            throw new IllegalArgumentException("an example needs at least an anchor and a positive, found "
                    + texts.size() + " text(s)");
        }
    }

    /** A plain (anchor, positive) pair without label or group. */
    public static Example pair(String anchor, String positive) {
        return new Example(List.of(anchor, positive), null, null);
    }

    public String anchor() {
        return texts.get(0);
    }

    public String positive() {
        return texts.get(1);
    }

    /** The negatives, possibly none. */
    public List<String> negatives() {
        return texts.subList(2, texts.size());
    }
}
