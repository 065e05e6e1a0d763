package dev.embedtune.tokenizer;

import java.util.List;

/** What a splitting pre-tokenizer does with the text its pattern matched. */
enum SplitBehavior {
    REMOVED("Removed"), ISOLATED("Isolated"), MERGED_WITH_PREVIOUS("MergedWithPrevious"),
    MERGED_WITH_NEXT("MergedWithNext"), CONTIGUOUS("Contiguous");

    final String jsonName;

    SplitBehavior(String jsonName) {
        this.jsonName = jsonName;
    }

    static SplitBehavior fromJson(Json json, String field, SplitBehavior fallback) {
        Json f = json.optional(field);
        if (f == null) return fallback;
        String name = f.asText();
        for (SplitBehavior b : values()) if (b.jsonName.equals(name)) return b;
        throw f.error("unknown split behavior \"" + name + "\", expected one of "
                + List.of("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"));
    }
}
