package dev.embedtune.tokenizer;

import java.util.List;

/** Third pipeline stage: turns one pre-tokenized word into vocabulary ids. */
sealed interface TokenModel permits WordPiece, Bpe {

    /** Appends the tokens of {@code word} to {@code out}, with original-text offsets. */
    void tokenize(Piece word, TokenList out);

    /** The id of a vocabulary entry, or -1. */
    int tokenToId(String token);

    /** The vocabulary entry of an id, or null when out of range. */
    String idToToken(int id);

    int vocabSize();

    List<String> TYPES = List.of("WordPiece", "BPE");

    static TokenModel fromJson(Json json) {
        json.expectObject();
        String type = json.optional("type") == null ? guessType(json) : json.type();
        return switch (type) {
            case "WordPiece" -> WordPiece.fromJson(json);
            case "BPE" -> Bpe.fromJson(json);
            default -> throw json.unknownType(type, TYPES);
        };
    }

    /** Old files omit {@code model.type}; Hugging Face then tells the models apart by their fields. */
    private static String guessType(Json json) {
        if (json.has("merges")) return "BPE";
        if (json.has("continuing_subword_prefix") || json.has("max_input_chars_per_word")) return "WordPiece";
        throw json.error(json.path() + ".type", "required field is missing (and the model has neither merges nor WordPiece fields)");
    }
}
