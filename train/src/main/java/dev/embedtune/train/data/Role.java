package dev.embedtune.train.data;

import java.util.Locale;

/** What a source column means to training: a text column, the float score, the 0/1 label or the group. */
public enum Role {
    ANCHOR, POSITIVE, NEGATIVE, SCORE, LABEL, GROUP;

    /** Parses {@code anchor}, {@code positive}, {@code negative} (also {@code negative_2} …), {@code score}, {@code label}, {@code group}. */
    public static Role parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.matches("negative(_?\\d+)?")) {
            return NEGATIVE;
        }
        return switch (n) {
            case "anchor" -> ANCHOR;
            case "positive" -> POSITIVE;
            case "score" -> SCORE;
            case "label" -> LABEL;
            case "group" -> GROUP;
            default -> throw new IllegalArgumentException("unknown column role '" + name
                    + "': expected one of anchor, positive, negative, score, label, group");
        };
    }

    /** The lower-case name used in mappings and messages. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
