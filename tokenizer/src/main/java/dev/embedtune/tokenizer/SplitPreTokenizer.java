package dev.embedtune.tokenizer;

import java.nio.CharBuffer;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Hugging Face's {@code Split}: cuts at every match of a pattern, either a literal string
 * ({@code {"String": ...}}) or a regex ({@code {"Regex": ...}}, Oniguruma syntax), with a
 * {@link SplitBehavior} and an optional inversion.
 *
 * <p>Java's regex engine stands in for Oniguruma. With {@link Pattern#UNICODE_CHARACTER_CLASS}
 * {@code \s}, {@code \w}, {@code \d} and case-insensitive matching are Unicode-aware, as they are
 * in Oniguruma; {@code \p{L}}, {@code \p{N}}, lookahead and possessive/lazy quantifiers mean the
 * same. Patterns using Oniguruma-only syntax fail to compile and are reported with the JSON path.
 */
record SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {

    static SplitPreTokenizer fromJson(Json json) {
        Json p = json.field("pattern").expectObject();
        Pattern compiled;
        if (p.has("String")) {
            compiled = Pattern.compile(Pattern.quote(p.text("String")));
        } else if (p.has("Regex")) {
            String regex = p.text("Regex");
            try {
                compiled = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw p.field("Regex").error("regex does not compile in Java: " + e.getDescription() + " near index " + e.getIndex());
            }
        } else {
            throw p.error("expected {\"String\": ...} or {\"Regex\": ...}");
        }
        SplitBehavior behavior = SplitBehavior.fromJson(json, "behavior", null);
        if (behavior == null) throw json.error(json.path() + ".behavior", "required field is missing");
        return new SplitPreTokenizer(compiled, behavior, json.bool("invert", false));
    }

    @Override
    public void preTokenize(Piece in, List<Piece> out) {
        Matcher m = pattern.matcher(CharBuffer.wrap(in.chars, in.from, in.length()));
        IntList matches = new IntList();
        while (m.find()) {
            if (m.end() == m.start()) continue; // an empty match cuts nothing (Hugging Face drops empty pieces)
            matches.add(in.from + m.start());
            matches.add(in.from + m.end());
        }
        PreTokenizer.split(in, matches, behavior, invert, out);
    }
}
