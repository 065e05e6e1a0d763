package dev.embedtune.tokenizer;

/**
 * Truncation to at most {@code maxLength} tokens INCLUDING the special tokens the post-processor
 * adds (room for them is reserved first), as Hugging Face does.
 */
public record Truncation(int maxLength, TruncationStrategy strategy) {
    public Truncation {
        if (maxLength <= 0) throw new IllegalArgumentException("maxLength must be > 0, got " + maxLength);
        if (strategy == null) throw new IllegalArgumentException("strategy must not be null");
    }

    public static Truncation of(int maxLength) {
        return new Truncation(maxLength, TruncationStrategy.LONGEST_FIRST);
    }

    /**
     * Cuts {@code a} (and {@code b}) so that together they have at most {@code budget} tokens
     * (Hugging Face's {@code truncate_encodings}, right side, no stride).
     */
    void apply(TokenList a, TokenList b, int budget) {
        int total = a.size + (b == null ? 0 : b.size);
        if (total <= budget) return;
        if (b == null) {
            if (strategy == TruncationStrategy.ONLY_SECOND) {
                throw new IllegalArgumentException("truncation strategy ONLY_SECOND needs a pair of sequences");
            }
            a.truncate(budget);
            return;
        }
        int toRemove = total - budget;
        switch (strategy) {
            case ONLY_FIRST -> {
                if (a.size <= toRemove) throw tooShort("first", a.size, toRemove);
                a.truncate(a.size - toRemove);
            }
            case ONLY_SECOND -> {
                if (b.size <= toRemove) throw tooShort("second", b.size, toRemove);
                b.truncate(b.size - toRemove);
            }
            case LONGEST_FIRST -> {
                // With n1 <= n2: if n1 fits in half the budget, n2 gets the rest; else both get half
                // (the odd token goes to the longer one).
                int n1 = a.size, n2 = b.size;
                boolean swap = n1 > n2;
                if (swap) { int t = n1; n1 = n2; n2 = t; }
                if (n1 > budget) n2 = n1;
                else n2 = Math.max(n1, budget - n1);
                if (n1 + n2 > budget) {
                    n1 = budget / 2;
                    n2 = n1 + budget % 2;
                }
                if (swap) { int t = n1; n1 = n2; n2 = t; }
                a.truncate(n1);
                b.truncate(n2);
            }
        }
    }

    private static IllegalArgumentException tooShort(String which, int size, int toRemove) {
        return new IllegalArgumentException("cannot truncate: the " + which + " sequence has " + size
                + " tokens but " + toRemove + " must be removed; use LONGEST_FIRST or a larger maxLength");
    }
}
