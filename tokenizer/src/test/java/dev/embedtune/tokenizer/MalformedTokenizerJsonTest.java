package dev.embedtune.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken tokenizer.json files fail with a {@link TokenizerFormatException} naming the JSON path. */
class MalformedTokenizerJsonTest {
    private static final ObjectMapper M = new ObjectMapper();

    private static String edit(Consumer<ObjectNode> change) {
        try {
            ObjectNode root = (ObjectNode) M.readTree(Reference.resource(Reference.BGE));
            change.accept(root);
            return M.writeValueAsString(root);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    private static void fails(String json, String... fragments) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromJson(json, "bad.json"));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain \"" + f + "\": " + e.getMessage());
        }
    }

    @Test
    void missingModel() {
        fails(edit(r -> r.remove("model")), "bad.json: model: required field is missing");
    }

    @Test
    void unknownComponentTypes() {
        fails(edit(r -> ((ObjectNode) r.get("normalizer")).put("type", "Fancy")),
                "normalizer.type", "unknown component \"Fancy\"", "BertNormalizer");
        fails(edit(r -> ((ObjectNode) r.get("pre_tokenizer")).put("type", "Metaspace")),
                "pre_tokenizer.type", "\"Metaspace\"", "ByteLevel");
        fails(edit(r -> ((ObjectNode) r.get("model")).put("type", "Unigram")), "model.type", "\"Unigram\"", "WordPiece");
        fails(edit(r -> ((ObjectNode) r.get("post_processor")).put("type", "Mystery")),
                "post_processor.type", "TemplateProcessing");
        fails(edit(r -> ((ObjectNode) r.get("decoder")).put("type", "CTC")), "decoder.type", "\"CTC\"");
        fails(edit(r -> r.set("pre_tokenizer", M.createObjectNode().put("type", "Sequence")
                .set("pretokenizers", M.createArrayNode().add(M.createObjectNode().put("type", "Nope"))))),
                "pre_tokenizer.pretokenizers[0].type", "\"Nope\"");
    }

    @Test
    void missingType() {
        fails(edit(r -> ((ObjectNode) r.get("normalizer")).remove("type")), "normalizer.type: required field is missing");
    }

    @Test
    void badVocab() {
        fails(edit(r -> ((ObjectNode) r.get("model")).put("vocab", "abc")), "model.vocab", "expected an object", "\"abc\"");
        fails(edit(r -> ((ObjectNode) r.get("model").get("vocab")).put("hello", "x")),
                "model.vocab[\"hello\"]", "expected a non-negative integer id");
        fails(edit(r -> ((ObjectNode) r.get("model").get("vocab")).put("hello", -3)), "model.vocab[\"hello\"]");
        fails(edit(r -> ((ObjectNode) r.get("model").get("vocab")).put("duplicate", 7)), "model.vocab", "id 7");
        fails(edit(r -> ((ObjectNode) r.get("model")).put("unk_token", "<unk>")), "model.unk_token", "\"<unk>\"");
        fails(edit(r -> ((ObjectNode) r.get("model")).set("vocab", M.createObjectNode())), "model.vocab", "empty");
    }

    @Test
    void badBpeMerges() {
        String gpt2 = Gpt2Vocabulary.tokenizerJson();
        try {
            ObjectNode root = (ObjectNode) M.readTree(gpt2);
            ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("model").get("merges")).insert(0, "Ġ zzzunknown");
            fails(M.writeValueAsString(root), "model.merges[0]", "\"zzzunknown\" is not in the vocabulary");
            root = (ObjectNode) M.readTree(gpt2);
            ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("model").get("merges")).insert(3, "nospace");
            fails(M.writeValueAsString(root), "model.merges[3]", "\"nospace\"");
            root = (ObjectNode) M.readTree(gpt2);
            ((ObjectNode) root.get("model")).put("dropout", 0.1);
            fails(M.writeValueAsString(root), "model.dropout", "not supported");
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void badTemplateAndTypes() {
        fails(edit(r -> ((ObjectNode) r.get("post_processor").get("special_tokens")).remove("[SEP]")),
                "post_processor.single[2].SpecialToken.id", "\"[SEP]\" is not in special_tokens");
        fails(edit(r -> ((ObjectNode) r.get("normalizer")).put("lowercase", "yes")), "normalizer.lowercase", "expected true or false");
        fails(edit(r -> r.set("added_tokens", M.createArrayNode().add(M.createObjectNode().put("id", 5)))),
                "added_tokens[0].content: required field is missing");
        fails("{not json", "bad.json: not valid JSON");
        fails("[1, 2]", "expected a JSON object");
    }
}
