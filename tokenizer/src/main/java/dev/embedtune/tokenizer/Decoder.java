package dev.embedtune.tokenizer;

import java.util.List;

/** Turns vocabulary entries back into text (the inverse of the pre-tokenizer and model). */
sealed interface Decoder permits WordPieceDecoder, ByteLevelDecoder {

    String decode(List<String> tokens);

    List<String> TYPES = List.of("WordPiece", "ByteLevel");

    static Decoder fromJson(Json json) {
        json.expectObject();
        String type = json.type();
        return switch (type) {
            case "WordPiece" -> new WordPieceDecoder(json.text("prefix", "##"), json.bool("cleanup", true));
            case "ByteLevel" -> new ByteLevelDecoder();
            default -> throw json.unknownType(type, TYPES);
        };
    }
}
