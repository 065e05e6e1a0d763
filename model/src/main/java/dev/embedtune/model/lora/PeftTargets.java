package dev.embedtune.model.lora;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * adapter_config.json's {@code target_modules} as the exact set of adapted modules. PEFT reads a list
 * as "the module's name, or its path ending in {@code .<name>}", so BERT's {@code dense} would also
 * wrap transformers' {@code pooler.dense} (which embedtune never adapts: it has no pooler), and
 * PEFT then reports that module's adapter weights as missing. A string is a regular expression PEFT
 * matches against the whole module path ({@code re.fullmatch}, peft/utils/other.py
 * {@code match_target_against_key}), so the adapted modules are written as one, e.g.
 * <pre>encoder\.layer\.(0|1|2|3|4|5)\.(attention\.self\.query|attention\.self\.key|…|output\.dense)</pre>
 * Only escaped literals, groups and alternation are used: the same in Python's {@code re} and Java.
 */
final class PeftTargets {
    private static final Pattern LAYER = Pattern.compile("^(.*?)\\.(\\d+)\\.(.*)$");

    private PeftTargets() {
    }

    /**
     * The expression that matches exactly the module paths {@code adapted}: each module kind (the path
     * around its first layer number) with the layers it is adapted in, kinds with the same layers
     * sharing one group.
     */
    static String regex(Collection<String> adapted) {
        Map<String, Set<Integer>> adaptedOfKind = layersByKind(adapted);
        // kinds grouped by (prefix, layer set) so that one group covers e.g. all six BERT linears
        Map<String, List<String>> suffixesByGroup = new LinkedHashMap<>();
        List<String> plain = new ArrayList<>();
        for (Map.Entry<String, Set<Integer>> e : adaptedOfKind.entrySet()) {
            String kind = e.getKey();
            int bar = kind.indexOf('|');
            if (bar < 0) {
                plain.add(escape(kind));
                continue;
            }
            String prefix = kind.substring(0, bar), suffix = kind.substring(bar + 1);
            String layers = "(" + String.join("|", e.getValue().stream().map(String::valueOf).toList()) + ")";
            suffixesByGroup.computeIfAbsent(escape(prefix) + "\\." + layers + "\\.", k -> new ArrayList<>()).add(escape(suffix));
        }
        List<String> alternatives = new ArrayList<>();
        suffixesByGroup.forEach((head, suffixes) -> alternatives.add(
                head + (suffixes.size() == 1 ? suffixes.get(0) : "(" + String.join("|", suffixes) + ")")));
        alternatives.addAll(plain);
        return alternatives.size() == 1 ? alternatives.get(0) : "(" + String.join("|", alternatives) + ")";
    }

    /** The modules among {@code linears} that PEFT's {@code re.fullmatch(regex, path)} selects. */
    static List<String> matching(String regex, Collection<String> linears) {
        Pattern p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("target_modules \"" + regex + "\" is not a valid regular expression: "
                    + e.getDescription());
        }
        return linears.stream().filter(m -> p.matcher(m).matches()).toList();
    }

    /**
     * The adapted modules as the short form a user writes ({@code ["query", "value"]}) when their last
     * names select exactly them among {@code linears}, else as their full paths.
     */
    static List<String> asNames(List<String> adapted, Collection<String> linears) {
        Set<String> names = new LinkedHashSet<>();
        adapted.forEach(m -> names.add(m.substring(m.lastIndexOf('.') + 1)));
        List<String> selected = linears.stream().filter(m -> names.contains(m.substring(m.lastIndexOf('.') + 1))).toList();
        return selected.equals(adapted) ? List.copyOf(names) : List.copyOf(adapted);
    }

    /** Module kinds ("prefix|suffix" around the first layer number, or the bare path) with their layer numbers. */
    private static Map<String, Set<Integer>> layersByKind(Collection<String> modules) {
        Map<String, Set<Integer>> out = new LinkedHashMap<>();
        for (String m : modules) {
            Matcher x = LAYER.matcher(m);
            if (x.matches()) {
                out.computeIfAbsent(x.group(1) + "|" + x.group(3), k -> new TreeSet<>()).add(Integer.parseInt(x.group(2)));
            } else {
                out.computeIfAbsent(m, k -> new LinkedHashSet<>());
            }
        }
        return out;
    }

    /** A module path as a literal: every character that is not a letter, digit or underscore escaped, as re.escape does. */
    private static String escape(String literal) {
        StringBuilder s = new StringBuilder();
        for (char c : literal.toCharArray()) {
            if (!Character.isLetterOrDigit(c) && c != '_') {
                s.append('\\');
            }
            s.append(c);
        }
        return s.toString();
    }
}
