package dev.embedtune.tokenizer;

/**
 * An entry of {@code added_tokens}: matched in the text before the model runs, so "[SEP]" in a
 * text is one token, never "[", "sep", "]". {@code normalized} tokens are matched in the
 * normalized text, the others in the raw text; {@code lstrip}/{@code rstrip} swallow the
 * whitespace on that side; a {@code singleWord} token only matches between non-word chars.
 */
public record AddedToken(int id, String content, boolean special, boolean normalized, boolean lstrip,
                         boolean rstrip, boolean singleWord) {

    static AddedToken fromJson(Json json) {
        json.expectObject();
        String content = json.text("content");
        if (content.isEmpty()) throw json.error(json.path() + ".content", "expected a non-empty string");
        int id = json.field("id").asInt();
        if (id < 0) throw json.error(json.path() + ".id", "expected a non-negative id, found " + id);
        boolean special = json.bool("special", false);
        return new AddedToken(id, content, special, json.bool("normalized", !special), json.bool("lstrip", false),
                json.bool("rstrip", false), json.bool("single_word", false));
    }
}
