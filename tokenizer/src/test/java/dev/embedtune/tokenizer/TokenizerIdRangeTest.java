package dev.embedtune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The ids and type ids a tokenizer can emit, which a model's embedding tables must hold (issue 15,
 * item 1); every expectation is worked out by hand from the literal JSON.
 */
class TokenizerIdRangeTest {

    private static final String VOCAB = "{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"a\":4,\"b\":5}";

    private static String json(String addedTokens, String postProcessor, String padding) {
        return "{\"added_tokens\":" + addedTokens + ",\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
                + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":" + VOCAB + "},"
                + "\"post_processor\":" + postProcessor + ",\"padding\":" + padding + "}";
    }

    private static final String BERT_PROCESSING = "{\"type\":\"BertProcessing\",\"cls\":[\"[CLS]\",2],\"sep\":[\"[SEP]\",3]}";

    @Test
    void theLargestIdIsTheVocabularysUnlessAnotherPartGoesBeyond() {
        Tokenizer plain = Tokenizer.fromJson(json("[]", BERT_PROCESSING, "null"));
        assertEquals(new Tokenizer.TokenId(5, "b", "model.vocab"), plain.largestId());
        assertEquals(0, plain.largestTypeId(false));
        assertEquals(1, plain.largestTypeId(true));

        Tokenizer added = Tokenizer.fromJson(json("[{\"id\":9,\"content\":\"[X]\",\"special\":true}]", BERT_PROCESSING, "null"));
        assertEquals(new Tokenizer.TokenId(9, "[X]", "added_tokens"), added.largestId());

        String template = "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[Q]\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":2}}],\"pair\":[{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"B\",\"type_id\":3}}],\"special_tokens\":{\"[Q]\":{\"id\":\"[Q]\",\"ids\":[12],\"tokens\":[\"[Q]\"]}}}";
        Tokenizer templated = Tokenizer.fromJson(json("[]", template, "null"));
        assertEquals(new Tokenizer.TokenId(12, null, "post_processor"), templated.largestId());
        assertEquals(2, templated.largestTypeId(false));
        assertEquals(3, templated.largestTypeId(true));
        // and the ids it emits are those
        assertEquals(12, templated.encode("a").ids()[0]);
        assertEquals(2, templated.encode("a").typeIds()[1]);

        Tokenizer padded = Tokenizer.fromJson(json("[]", BERT_PROCESSING,
                "{\"pad_id\":20,\"pad_type_id\":4,\"pad_token\":\"[P]\"}"));
        assertEquals(new Tokenizer.TokenId(20, "[P]", "padding"), padded.largestId());
        assertEquals(4, padded.largestTypeId(false));
    }

    @Test
    void negativeIdsAreRejectedWhereTheFileGivesThem() {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromJson(
                json("[]", "{\"type\":\"BertProcessing\",\"cls\":[\"[CLS]\",-2],\"sep\":[\"[SEP]\",3]}", "null"), "t.json"));
        assertTrue(e.getMessage().contains("t.json") && e.getMessage().contains("post_processor.cls[1]")
                && e.getMessage().contains("-2"), e.getMessage());
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromJson(
                json("[]", BERT_PROCESSING, "{\"pad_id\":-1}"), "t.json"));
        assertTrue(e.getMessage().contains("padding") && e.getMessage().contains("-1"), e.getMessage());
        String badType = "{\"type\":\"TemplateProcessing\",\"single\":[{\"Sequence\":{\"id\":\"A\",\"type_id\":-1}}],"
                + "\"pair\":[],\"special_tokens\":{}}";
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromJson(json("[]", badType, "null"), "t.json"));
        assertTrue(e.getMessage().contains("single[0].Sequence.type_id"), e.getMessage());
    }
}
