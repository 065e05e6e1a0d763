package dev.embedtune.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Hugging Face's {@code TemplateProcessing}: the {@code single} and {@code pair} templates are
 * lists of {@code {"Sequence": {"id": "A"|"B", "type_id": n}}} and
 * {@code {"SpecialToken": {"id": "[CLS]", "type_id": n}}}; each special token's ids come from
 * {@code special_tokens}. Type ids of the sequences come from the template even without special
 * tokens, as in Hugging Face.
 */
record TemplateProcessing(List<Item> single, List<Item> pair) implements PostProcessor {

    /** One template entry: a sequence (A = 0, B = 1) or the ids of a special token. */
    record Item(int sequence, int[] specialIds, int typeId) {}

    static TemplateProcessing fromJson(Json json) {
        Map<String, int[]> specials = new HashMap<>();
        Json st = json.optional("special_tokens");
        if (st != null) {
            st.expectObject();
            st.node().fieldNames().forEachRemaining(name -> {
                Json ids = st.field(name).field("ids").expectArray();
                int[] arr = new int[ids.size()];
                for (int i = 0; i < arr.length; i++) {
                    arr[i] = ids.element(i).asInt();
                    if (arr[i] < 0) throw ids.error(ids.path() + "[" + i + "]", "expected a non-negative id, found " + arr[i]);
                }
                specials.put(name, arr);
            });
        }
        return new TemplateProcessing(parse(json.field("single"), specials), parse(json.field("pair"), specials));
    }

    private static List<Item> parse(Json template, Map<String, int[]> specials) {
        template.expectArray();
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < template.size(); i++) {
            Json e = template.element(i).expectObject();
            if (e.has("Sequence")) {
                Json s = e.field("Sequence");
                String id = s.text("id");
                int seq = switch (id) {
                    case "A" -> 0;
                    case "B" -> 1;
                    default -> throw s.error(s.path() + ".id", "expected \"A\" or \"B\", found \"" + id + "\"");
                };
                items.add(new Item(seq, null, typeId(s)));
            } else if (e.has("SpecialToken")) {
                Json s = e.field("SpecialToken");
                String id = s.text("id");
                int[] ids = specials.get(id);
                if (ids == null) throw s.error(s.path() + ".id", "special token \"" + id + "\" is not in special_tokens");
                items.add(new Item(-1, ids, typeId(s)));
            } else {
                throw e.error("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}, found " + e.node());
            }
        }
        return List.copyOf(items);
    }

    private static int typeId(Json item) {
        int t = item.integer("type_id", 0);
        if (t < 0) throw item.error(item.path() + ".type_id", "expected a non-negative type id, found " + t);
        return t;
    }

    @Override
    public int[] specialIds() {
        return java.util.stream.Stream.concat(single.stream(), pair.stream()).filter(it -> it.specialIds() != null)
                .flatMapToInt(it -> java.util.Arrays.stream(it.specialIds())).toArray();
    }

    @Override
    public int largestTypeId(boolean isPair) {
        // a single text's template may name B too; only what process() emits counts
        return (isPair ? pair : single).stream().filter(it -> isPair || it.sequence() != 1)
                .mapToInt(Item::typeId).max().orElse(0);
    }

    @Override
    public int addedTokens(boolean isPair) {
        int n = 0;
        for (Item it : isPair ? pair : single) if (it.specialIds() != null) n += it.specialIds().length;
        return n;
    }

    @Override
    public void process(TokenList a, TokenList b, boolean addSpecialTokens, IntFunction<String> idToToken, EncodingBuilder out) {
        for (Item it : b == null ? single : pair) {
            if (it.specialIds() != null) {
                if (addSpecialTokens) for (int id : it.specialIds()) out.addSpecial(id, it.typeId());
            } else if (it.sequence() == 0) {
                out.addSequence(a, it.typeId(), 0);
            } else if (b != null) {
                out.addSequence(b, it.typeId(), 1);
            }
        }
    }
}
