package dev.embedtune.app.hpo;

/**
 * A search-space or study file that cannot be read: names the file, the field path
 * ({@code parameters.lora_rank.choices[2]}), what was expected and what was found.
 */
public final class SpaceFormatException extends IllegalArgumentException {

    private final String source;
    private final String field;

    public SpaceFormatException(String source, String field, String problem) {
        super(source + ": " + field + ": " + problem);
        this.source = source;
        this.field = field;
    }

    /** The file (or other source) being read. */
    public String source() {
        return source;
    }

    /** The JSON/YAML path of the offending field. */
    public String field() {
        return field;
    }
}
