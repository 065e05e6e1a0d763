package dev.embedtune.tokenizer;

import java.util.function.IntFunction;

/**
 * GPT-2's byte-level post-processor: adds nothing; with {@code trim_offsets} a token's offsets
 * exclude the spaces ("Ġ") at its start and end, except the prefix space added by
 * {@code add_prefix_space} on the first token.
 */
record ByteLevelProcessor(boolean trimOffsets, boolean addPrefixSpace) implements PostProcessor {
    private static final char SPACE = ByteLevel.BYTE_TO_CHAR[' '];

    @Override
    public int[] specialIds() {
        return new int[0];
    }

    @Override
    public int largestTypeId(boolean pair) {
        return pair ? 1 : 0;
    }

    @Override
    public int addedTokens(boolean pair) {
        return 0;
    }

    @Override
    public void process(TokenList a, TokenList b, boolean addSpecialTokens, IntFunction<String> idToToken, EncodingBuilder out) {
        trim(a, b, idToToken);
        PostProcessor.concatenate(a, b, 1, out);
    }

    void trim(TokenList a, TokenList b, IntFunction<String> idToToken) {
        if (!trimOffsets) return;
        trim(a, idToToken);
        if (b != null) trim(b, idToToken);
    }

    private void trim(TokenList t, IntFunction<String> idToToken) {
        for (int i = 0; i < t.size; i++) {
            String token = idToToken.apply(t.ids[i]);
            if (token == null) continue;
            int leading = 0;
            while (leading < token.length() && token.charAt(leading) == SPACE) leading++;
            int trailing = 0;
            // Counted independently of the leading ones: a lone "Ġ" has one of each, as in Hugging Face.
            while (trailing < token.length() && token.charAt(token.length() - 1 - trailing) == SPACE) trailing++;
            if (leading > 0) {
                boolean first = i == 0 || t.starts[i] == 0;
                if (first && addPrefixSpace && leading == 1) leading = 0;
                t.starts[i] = Math.min(t.starts[i] + leading, t.ends[i]);
            }
            if (trailing > 0 && t.ends[i] >= trailing) t.ends[i] = Math.max(t.ends[i] - trailing, t.starts[i]);
        }
    }
}
