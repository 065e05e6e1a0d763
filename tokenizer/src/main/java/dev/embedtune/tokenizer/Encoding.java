package dev.embedtune.tokenizer;

/**
 * One encoded text (or text pair), Hugging Face's {@code Encoding}: all arrays have the same
 * length, one entry per token including special and padding tokens.
 *
 * @param ids               vocabulary ids
 * @param typeIds           0 for the first sequence (and its special tokens), 1 for the second
 * @param attentionMask     1 for real tokens, 0 for padding
 * @param specialTokensMask 1 for tokens the post-processor or padding added
 * @param starts            start of each token in the ORIGINAL text, in UTF-16 chars (Java
 *                          string indices; Hugging Face reports code points, which differ only
 *                          after a supplementary char); 0 for special tokens
 * @param ends              exclusive end, like {@code starts}
 * @param sequenceIds       0 or 1 for the sequence a token came from, -1 for special tokens
 * @param tokens            the vocabulary entries of {@code ids}
 */
public record Encoding(int[] ids, int[] typeIds, int[] attentionMask, int[] specialTokensMask,
                       int[] starts, int[] ends, int[] sequenceIds, String[] tokens) {

    public int length() {
        return ids.length;
    }
}
