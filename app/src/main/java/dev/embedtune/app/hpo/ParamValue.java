package dev.embedtune.app.hpo;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One sampled hyperparameter value. The kind is fixed by the {@link Dimension} that produced it, so a
 * value read back from a study file is decoded by its dimension ({@link Dimension#decode}) and keeps
 * its type (an {@code int} rank never comes back as a {@code double}).
 */
public sealed interface ParamValue {

    /** The value as JSON-ready Java: {@code Double}, {@code Integer}, {@code String} or {@code List<Integer>}. */
    Object toJava();

    /** A short human form for tables: {@code 3.2e-05}, {@code 16}, {@code MultipleNegativesRankingLoss}, {@code 384,256}. */
    String display();

    /** A float: learning rate, tied alpha, or any float dimension. */
    record FloatValue(double value) implements ParamValue {
        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String display() {
            double a = Math.abs(value);
            if (!Double.isFinite(value)) {
                return Double.toString(value);
            }
            if (a != 0 && (a < 1e-3 || a >= 1e6)) {
                return String.format(Locale.ROOT, "%.3e", value);
            }
            // Up to 4 significant digits without trailing zeros: 32, 0.1, 0.0123.
            return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
    }

    /** An integer: rank, batch size, epochs. */
    record IntValue(int value) implements ParamValue {
        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String display() {
            return Integer.toString(value);
        }
    }

    /** A string: loss name, base model directory. */
    record StringValue(String value) implements ParamValue {
        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String display() {
            return value;
        }
    }

    /** An ordered list of integers, e.g. Matryoshka dimensions {@code [384, 256, 128, 64]}. */
    record IntListValue(List<Integer> value) implements ParamValue {
        public IntListValue {
            value = List.copyOf(value);
        }

        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String display() {
            return value.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
    }
}
