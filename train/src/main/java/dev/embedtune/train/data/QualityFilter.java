package dev.embedtune.train.data;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * An optional filter for retrieval pairs: drops examples whose anchor or positive is too short to
 * carry meaning, and those whose anchor appears verbatim inside the positive (a lexical give-away
 * that teaches string matching instead of meaning). Lengths are counted in Unicode code points
 * after trimming; the verbatim check is case-sensitive, on trimmed texts.
 *
 * @param minAnchorChars examples whose anchor is shorter are dropped (0 disables)
 * @param minPositiveChars examples whose positive is shorter are dropped (0 disables)
 * @param dropAnchorInPositive drop examples whose anchor occurs verbatim in the positive
 */
public record QualityFilter(int minAnchorChars, int minPositiveChars, boolean dropAnchorInPositive) {

    /** Why an example was dropped; an example is counted under the first rule, in this order, that drops it. */
    public enum Rule { ANCHOR_TOO_SHORT, POSITIVE_TOO_SHORT, ANCHOR_IN_POSITIVE }

    /**
     * What the filter kept and how many examples each rule dropped.
     *
     * @param dropped a count for every rule, zero included
     */
    public record Result(Dataset kept, Map<Rule, Integer> dropped) {

        public int totalDropped() {
            return dropped.values().stream().mapToInt(Integer::intValue).sum();
        }

        /** One line for logs, e.g. {@code kept 980 of 1000; dropped anchor_too_short=3 …}. */
        public String summary() {
            StringBuilder sb = new StringBuilder("kept " + kept.size() + " of " + (kept.size() + totalDropped())
                    + "; dropped");
            dropped.forEach((r, n) -> sb.append(' ').append(r.name().toLowerCase(java.util.Locale.ROOT))
                    .append('=').append(n));
            return sb.toString();
        }
    }

    public QualityFilter {
        if (minAnchorChars < 0 || minPositiveChars < 0) {
            throw new IllegalArgumentException("minimum lengths must be >= 0, got anchor " + minAnchorChars
                    + ", positive " + minPositiveChars);
        }
    }

    /** Applies the rules to every example, keeping order. */
    public Result apply(Dataset data) {
        Map<Rule, Integer> dropped = new EnumMap<>(Rule.class);
        for (Rule r : Rule.values()) {
            dropped.put(r, 0);
        }
        List<Example> kept = new ArrayList<>();
        for (Example e : data.examples()) {
            Rule rule = firstViolated(e);
            if (rule == null) {
                kept.add(e);
            } else {
                dropped.merge(rule, 1, Integer::sum);
            }
        }
        return new Result(data.withExamples(data.name(), kept), java.util.Collections.unmodifiableMap(dropped));
    }

    /** The first rule that drops {@code e}, or {@code null} if it is kept. */
    public Rule firstViolated(Example e) {
        String anchor = e.anchor().trim();
        String positive = e.positive().trim();
        if (anchor.codePointCount(0, anchor.length()) < minAnchorChars) {
            return Rule.ANCHOR_TOO_SHORT;
        }
        if (positive.codePointCount(0, positive.length()) < minPositiveChars) {
            return Rule.POSITIVE_TOO_SHORT;
        }
        if (dropAnchorInPositive && positive.contains(anchor)) {
            return Rule.ANCHOR_IN_POSITIVE;
        }
        return null;
    }
}
