package dev.embedtune.tokenizer;

import java.util.List;

/**
 * A batch of encodings padded to a common length (to the longest, or to a fixed length, as the
 * tokenizer's {@link Padding} says), as rectangular arrays ready for a model: {@code [B][T]}.
 */
public record BatchEncoding(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, List<Encoding> encodings) {

    public int size() {
        return inputIds.length;
    }

    /** T, the common length (0 for an empty batch). */
    public int sequenceLength() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }
}
