package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.lora.LoraModel;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A weight the encoder needs but the model lacks is an error naming the tensor, not a bare NullPointerException. */
class MissingWeightTest {

    @Test
    void aMissingLinearWeightIsNamed() {
        Map<String, INDArray> weights = new HashMap<>(TinyBert.weights(TinyBert.CONFIG, 7));
        weights.remove("encoder.layer.1.attention.self.value.weight");
        LoraModel lora = TinyBert.lora(TinyBert.CONFIG, 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BertTrainingEncoder(TinyBert.CONFIG, weights, lora, BaseQuantization.NONE, DataType.FLOAT));
        assertTrue(e.getMessage().contains("no tensor encoder.layer.1.attention.self.value.weight"), e.getMessage());
    }
}
