package dev.embedtune.model.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.config.BertConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 15 item 12: target_modules as the exact set of adapted modules, in PEFT's regex form. */
class PeftTargetsTest {
    private static final BertConfig BERT = new BertConfig(40, 32, 3, 4, 48, "gelu", 0, 0, 32, 2, 0.02, 1e-12, 0);
    private static final List<String> LINEARS = List.copyOf(EncoderWeights.linearModules(BERT).keySet());

    @Test
    void everyBertLinearIsOneGroupThatLeavesThePoolerOut() {
        List<String> adapted = LoraModel.targetModules(BERT, new LoraConfig(2, 4, 0, LoraConfig.BERT_DEFAULT_TARGETS, false));
        String regex = PeftTargets.regex(adapted);
        assertEquals("encoder\\.layer\\.(0|1|2)\\.(attention\\.self\\.query|attention\\.self\\.key|attention\\.self\\.value"
                + "|attention\\.output\\.dense|intermediate\\.dense|output\\.dense)", regex);
        List<String> withPooler = new ArrayList<>(LINEARS);
        withPooler.add("pooler.dense");     // transformers' BertModel has it; embedtune adapts no pooler
        assertEquals(adapted, PeftTargets.matching(regex, withPooler));
        assertEquals(List.of("query", "key", "value", "dense"), PeftTargets.asNames(adapted, LINEARS));
    }

    @Test
    void someLayersAndModulesAreMatchedExactly() {
        List<String> adapted = List.of("encoder.layer.0.attention.self.query", "encoder.layer.2.attention.self.query",
                "encoder.layer.1.output.dense");
        String regex = PeftTargets.regex(adapted);
        assertEquals("(encoder\\.layer\\.(0|2)\\.attention\\.self\\.query|encoder\\.layer\\.(1)\\.output\\.dense)", regex);
        assertEquals(List.of("encoder.layer.0.attention.self.query", "encoder.layer.1.output.dense",
                "encoder.layer.2.attention.self.query"), PeftTargets.matching(regex, LINEARS));
        // not every query of the model: the short form would say more, so full paths come back
        assertEquals(PeftTargets.matching(regex, LINEARS), PeftTargets.asNames(PeftTargets.matching(regex, LINEARS), LINEARS));
    }

    @Test
    void anInvalidExpressionIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftTargets.matching("(query", LINEARS));
        assertEquals(true, e.getMessage().contains("\"(query\""), e.getMessage());
    }
}
