package dev.embedtune.tokenizer;

/** Which sequence of a pair loses tokens when the pair is too long. */
public enum TruncationStrategy {
    /** Shorten the longer sequence first (Hugging Face's default). */
    LONGEST_FIRST,
    /** Only the first sequence. */
    ONLY_FIRST,
    /** Only the second sequence. */
    ONLY_SECOND
}
