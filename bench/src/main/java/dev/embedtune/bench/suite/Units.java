package dev.embedtune.bench.suite;

/** Conversions between JMH's score units. */
final class Units {
    private Units() {
    }

    /** Seconds in one of JMH's time units ("s", "ms", "us", "ns", "min"). */
    static double seconds(String timeUnit) {
        return switch (timeUnit) {
            case "s" -> 1.0;
            case "ms" -> 1e-3;
            case "us", "µs" -> 1e-6;
            case "ns" -> 1e-9;
            case "min" -> 60.0;
            default -> throw new IllegalArgumentException("unknown JMH time unit: " + timeUnit);
        };
    }

    /** A JMH score ("ops/ms" or "ms/op" style) as operations per second. */
    static double opsPerSecond(double score, String unit) {
        String[] parts = unit.split("/");
        if (parts.length != 2) {
            throw new IllegalArgumentException("unknown JMH score unit: " + unit);
        }
        return parts[0].equals("ops")
                ? score / seconds(parts[1])
                : 1.0 / (score * seconds(parts[0]));
    }

    /** A per-op time in the score unit ("ms/op") as milliseconds, or from a throughput unit. */
    static double millisPerOp(double score, String unit) {
        return 1000.0 / opsPerSecond(score, unit);
    }
}
