package dev.embedtune.tokenizer;

import java.util.function.IntFunction;

/** BERT's fixed template: {@code [CLS] A [SEP]} and {@code [CLS] A [SEP] B [SEP]}, B with type id 1. */
record BertProcessing(int clsId, int sepId) implements PostProcessor {

    static BertProcessing fromJson(Json json) {
        return new BertProcessing(idOf(json.field("cls")), idOf(json.field("sep")));
    }

    /** {@code ["[CLS]", 101]}. */
    static int idOf(Json pair) {
        pair.expectArray();
        if (pair.size() != 2) throw pair.error("expected [token, id], found " + pair.node());
        int id = pair.element(1).asInt();
        if (id < 0) throw pair.error(pair.path() + "[1]", "expected a non-negative id, found " + id);
        return id;
    }

    @Override
    public int[] specialIds() {
        return new int[] {clsId, sepId};
    }

    @Override
    public int largestTypeId(boolean pair) {
        return pair ? 1 : 0;
    }

    @Override
    public int addedTokens(boolean pair) {
        return pair ? 3 : 2;
    }

    @Override
    public void process(TokenList a, TokenList b, boolean addSpecialTokens, IntFunction<String> idToToken, EncodingBuilder out) {
        if (!addSpecialTokens) {
            PostProcessor.concatenate(a, b, 1, out);
            return;
        }
        out.addSpecial(clsId, 0);
        out.addSequence(a, 0, 0);
        out.addSpecial(sepId, 0);
        if (b != null) {
            out.addSequence(b, 1, 1);
            out.addSpecial(sepId, 1);
        }
    }
}
