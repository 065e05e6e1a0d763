package dev.embedtune.tokenizer;

import java.util.List;
import java.util.function.IntFunction;

/**
 * Processors in order. Only ByteLevel (which only trims offsets) may accompany the one processor
 * that adds special tokens, so running the offset trimming first is equivalent.
 */
record ProcessorSequence(List<PostProcessor> processors) implements PostProcessor {
    @Override
    public int[] specialIds() {
        return processors.stream().flatMapToInt(p -> java.util.Arrays.stream(p.specialIds())).toArray();
    }

    @Override
    public int largestTypeId(boolean pair) {
        // the one processor that is not ByteLevel assigns the types; with ByteLevel alone, B gets 1
        return processors.stream().filter(p -> !(p instanceof ByteLevelProcessor)).findFirst()
                .map(p -> p.largestTypeId(pair)).orElse(pair ? 1 : 0);
    }

    @Override
    public int addedTokens(boolean pair) {
        return processors.stream().mapToInt(p -> p.addedTokens(pair)).sum();
    }

    @Override
    public void process(TokenList a, TokenList b, boolean addSpecialTokens, IntFunction<String> idToToken, EncodingBuilder out) {
        PostProcessor builder = null;
        for (PostProcessor p : processors) {
            if (p instanceof ByteLevelProcessor bl) bl.trim(a, b, idToToken);
            else builder = p;
        }
        if (builder != null) builder.process(a, b, addSpecialTokens, idToToken, out);
        else PostProcessor.concatenate(a, b, 1, out);
    }
}
