package dev.embedtune.model.config;

/**
 * Range checks for config.json values that size native arrays or enter the arithmetic: a zero or
 * negative size would reach ND4J as a bad shape, a zero head count a division by zero, a negative
 * epsilon NaN. Each message names the config.json field.
 */
final class ConfigChecks {
    private ConfigChecks() {
    }

    static void positive(String field, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + " must be at least 1, got " + value);
        }
    }

    static void nonNegative(String field, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative, got " + value);
        }
    }

    static void probability(String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(field + " must be in [0, 1), got " + value);
        }
    }

    static void positiveFinite(String field, double value) {
        if (!(value > 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException(field + " must be a positive finite number, got " + value);
        }
    }

    static void multipleOfHeads(int hiddenSize, int heads) {
        if (hiddenSize % heads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + heads);
        }
    }
}
