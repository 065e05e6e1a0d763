package dev.embedtune.model.training;

import dev.embedtune.autodiff.FrozenWeight;
import dev.embedtune.autodiff.LoraLinear;
import dev.embedtune.autodiff.WeightScratch;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.quant.BlockQuantizer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The linear layers of a training encoder: each frozen base weight, dense or block-quantised, with
 * its LoRA adapter when the adapters target it, one shared scratch buffer per weight shape, and the
 * trainable matrices and their gradient buffers by PEFT name. Shared by every architecture.
 */
final class AdaptedLinears {
    private final LoraModel lora;
    private final BaseQuantization base;
    private final DataType type;
    private final WeightScratch scratch;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>(), gradients = new LinkedHashMap<>();
    private long baseBytes, baseParameters;

    AdaptedLinears(LoraModel lora, BaseQuantization base, DataType type) {
        this.lora = lora;
        this.base = base;
        this.type = type;
        this.scratch = new WeightScratch(type);
    }

    /** {@code x} in the encoder's data type (the same array when it already is). */
    INDArray cast(INDArray x) {
        return x == null || x.dataType() == type ? x : x.castTo(type);
    }

    /** The linear {@code module} ({@code <module>.weight}, optional {@code <module>.bias}) with its adapter, if any. */
    LoraLinear linear(Map<String, INDArray> weights, String module) {
        INDArray w = weights.get(module + ".weight");
        FrozenWeight frozen = base.quantized()
                ? FrozenWeight.quantized(BlockQuantizer.quantize(w.dup().data().asFloat(), w.shape(), base.type(),
                        base.blockSize(), base.doubleQuantize()))
                : FrozenWeight.dense(cast(w));
        baseBytes += frozen.residentBytes();
        baseParameters += w.length();
        INDArray bias = cast(weights.get(module + ".bias"));
        LoraAdapter adapter = lora == null ? null : lora.adapters().get(module);
        if (adapter == null) {
            return new LoraLinear(frozen, bias, null, null, null, null, 0, scratch);
        }
        INDArray a = cast(adapter.a()), b = cast(adapter.b());
        INDArray gradA = Nd4j.zeros(type, a.shape()), gradB = Nd4j.zeros(type, b.shape());
        parameters.put(module + ".lora_A.weight", a);
        parameters.put(module + ".lora_B.weight", b);
        gradients.put(module + ".lora_A.weight", gradA);
        gradients.put(module + ".lora_B.weight", gradB);
        return new LoraLinear(frozen, bias, a, b, gradA, gradB, lora.config().scale(), scratch);
    }

    /** The adapter rank (0 without adapters). */
    long rank() {
        return lora == null ? 0 : lora.config().r();
    }

    Map<String, INDArray> parameters() {
        return parameters;
    }

    Map<String, INDArray> gradients() {
        return gradients;
    }

    void zeroGradients() {
        gradients.values().forEach(g -> g.assign(0));
    }

    LoraModel currentAdapters() {
        Map<String, LoraAdapter> out = new LinkedHashMap<>();
        lora.adapters().keySet().forEach(module -> out.put(module, new LoraAdapter(
                parameters.get(module + ".lora_A.weight").castTo(DataType.FLOAT).dup(),
                parameters.get(module + ".lora_B.weight").castTo(DataType.FLOAT).dup())));
        return new LoraModel(lora.config(), out);
    }

    long baseBytes() {
        return baseBytes;
    }

    long baseParameters() {
        return baseParameters;
    }

    long scratchBytes() {
        return scratch.bytes();
    }
}
