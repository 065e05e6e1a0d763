package dev.embedtune.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Last pipeline stage: wraps the model's tokens of one or two sequences with special tokens and
 * assigns type ids ({@code [CLS] A [SEP] B [SEP]}).
 */
sealed interface PostProcessor permits TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevelProcessor, ProcessorSequence {

    /** How many special tokens {@link #process} adds with {@code addSpecialTokens}; truncation reserves room for them. */
    int addedTokens(boolean pair);

    /** Every id {@link #process} can add as a special token (the model's tables must hold them). */
    int[] specialIds();

    /** The largest type id {@link #process} gives a token of a single sequence, or of a pair. */
    int largestTypeId(boolean pair);

    /** {@code b} is null for a single sequence. May adjust offsets in {@code a}/{@code b}. */
    void process(TokenList a, TokenList b, boolean addSpecialTokens, IntFunction<String> idToToken, EncodingBuilder out);

    List<String> TYPES = List.of("TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence");

    static PostProcessor fromJson(Json json) {
        json.expectObject();
        String type = json.type();
        return switch (type) {
            case "TemplateProcessing" -> TemplateProcessing.fromJson(json);
            case "BertProcessing" -> BertProcessing.fromJson(json);
            case "RobertaProcessing" -> RobertaProcessing.fromJson(json);
            case "ByteLevel" -> new ByteLevelProcessor(json.bool("trim_offsets", true), json.bool("add_prefix_space", true));
            case "Sequence" -> {
                Json list = json.field("processors").expectArray();
                List<PostProcessor> parts = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) parts.add(fromJson(list.element(i)));
                long builders = parts.stream().filter(p -> !(p instanceof ByteLevelProcessor)).count();
                if (builders > 1) throw list.error("at most one processor other than ByteLevel is supported in a Sequence");
                yield new ProcessorSequence(List.copyOf(parts));
            }
            default -> throw json.unknownType(type, TYPES);
        };
    }

    /**
     * Both sequences, nothing added. A processor that adds nothing still gives the second
     * sequence type id 1 (Hugging Face's default {@code process}); with no processor at all
     * both are 0.
     */
    static void concatenate(TokenList a, TokenList b, int secondTypeId, EncodingBuilder out) {
        out.addSequence(a, 0, 0);
        if (b != null) out.addSequence(b, secondTypeId, 1);
    }
}
