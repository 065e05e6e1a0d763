package dev.embedtune.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * First pipeline stage: rewrites the text (lower-casing, accent stripping, Unicode normal forms)
 * while every output char keeps the range of the original text it came from.
 */
sealed interface Normalizer permits BertNormalizer, UnicodeNormalizer, LowercaseNormalizer,
        StripAccentsNormalizer, NormalizerSequence {

    /** Returns the normalized text; {@code in} may be returned unchanged. */
    Piece normalize(Piece in);

    List<String> TYPES = List.of("BertNormalizer", "NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents", "Sequence");

    static Normalizer fromJson(Json json) {
        json.expectObject();
        String type = json.type();
        return switch (type) {
            case "BertNormalizer" -> BertNormalizer.fromJson(json);
            case "NFC" -> new UnicodeNormalizer(java.text.Normalizer.Form.NFC);
            case "NFD" -> new UnicodeNormalizer(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new UnicodeNormalizer(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new UnicodeNormalizer(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new LowercaseNormalizer();
            case "StripAccents" -> new StripAccentsNormalizer();
            case "Sequence" -> {
                Json list = json.field("normalizers").expectArray();
                List<Normalizer> parts = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) parts.add(fromJson(list.element(i)));
                yield new NormalizerSequence(List.copyOf(parts));
            }
            default -> throw json.unknownType(type, TYPES);
        };
    }
}
