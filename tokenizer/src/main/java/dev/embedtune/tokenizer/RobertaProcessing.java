package dev.embedtune.tokenizer;

import java.util.function.IntFunction;

/**
 * RoBERTa's template: {@code <s> A </s>} and {@code <s> A </s> </s> B </s>}, every type id 0
 * (RoBERTa has no segment embeddings), with ByteLevel's offset trimming when
 * {@code trim_offsets}.
 */
record RobertaProcessing(int clsId, int sepId, ByteLevelProcessor trimming) implements PostProcessor {

    static RobertaProcessing fromJson(Json json) {
        return new RobertaProcessing(BertProcessing.idOf(json.field("cls")), BertProcessing.idOf(json.field("sep")),
                new ByteLevelProcessor(json.bool("trim_offsets", true), json.bool("add_prefix_space", true)));
    }

    @Override
    public int[] specialIds() {
        return new int[] {clsId, sepId};
    }

    @Override
    public int largestTypeId(boolean pair) {
        return 0;
    }

    @Override
    public int addedTokens(boolean pair) {
        return pair ? 4 : 2;
    }

    @Override
    public void process(TokenList a, TokenList b, boolean addSpecialTokens, IntFunction<String> idToToken, EncodingBuilder out) {
        trimming.trim(a, b, idToToken);
        if (!addSpecialTokens) {
            PostProcessor.concatenate(a, b, 0, out);
            return;
        }
        out.addSpecial(clsId, 0);
        out.addSequence(a, 0, 0);
        out.addSpecial(sepId, 0);
        if (b != null) {
            out.addSpecial(sepId, 0);
            out.addSequence(b, 0, 1);
            out.addSpecial(sepId, 0);
        }
    }
}
