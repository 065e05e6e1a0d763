package dev.embedtune.model.training;

import dev.embedtune.quant.NativeRuntime;
import dev.embedtune.autodiff.FrozenWeight;
import dev.embedtune.autodiff.LayerNorm;
import dev.embedtune.autodiff.LoraLinear;
import dev.embedtune.autodiff.WeightScratch;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.lora.TrainedBaseTensors;
import dev.embedtune.quant.BlockQuantizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weights of a training encoder as its layers use them, for any architecture: each frozen base
 * linear weight, dense or block-quantised, with its LoRA adapter when the adapters target it; the
 * base tensors that train beside the adapters (biases, norms: PEFT's {@code bias} and
 * {@code modules_to_save}, see {@link TrainedBaseTensors}) as own copies; one shared scratch buffer
 * per weight shape; and the trainable tensors with their gradient buffers by name.
 */
final class EncoderParameters {
    private final Map<String, INDArray> weights;
    private final LoraModel lora;
    private final BaseQuantization base;
    private final DataType type;
    private final WeightScratch scratch;
    private final List<String> trainedBase;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>(), gradients = new LinkedHashMap<>();
    private long baseBytes, baseParameters;

    /** @param weights the model's weights by Hugging Face name (float32) */
    EncoderParameters(ModelConfig config, Map<String, INDArray> weights, LoraModel lora, BaseQuantization base,
            DataType type) {
        NativeRuntime.configure();                    // before the first GEMM: the BLAS kernels
        this.weights = weights;
        this.lora = lora;
        this.base = base;
        this.type = type;
        this.scratch = new WeightScratch(type);
        this.trainedBase = lora == null ? List.of() : TrainedBaseTensors.names(config, lora.config());
    }

    /** {@code x} in the encoder's data type (the same array when it already is). */
    INDArray cast(INDArray x) {
        return x == null || x.dataType() == type ? x : x.castTo(type);
    }

    /** A frozen tensor (e.g. an embedding table). */
    INDArray frozen(String name) {
        return cast(weights.get(name));
    }

    /**
     * A base tensor that is frozen, or (when it trains) an own copy with a gradient buffer registered
     * under its Hugging Face name, starting from the adapter's saved value if it has one. Null when
     * the model has no such tensor (e.g. ModernBERT's biases).
     */
    private INDArray baseTensor(String name) {
        if (!trainedBase.contains(name)) {
            return cast(weights.get(name));
        }
        INDArray saved = lora.baseTensors().get(name);
        INDArray value = (saved != null ? saved : weights.get(name)).castTo(type).dup();
        parameters.put(name, value);
        gradients.put(name, Nd4j.zeros(type, value.shape()));
        return value;
    }

    /** The linear {@code module} ({@code <module>.weight}, optional {@code <module>.bias}) with its adapter, if any. */
    LoraLinear linear(String module) {
        INDArray w = weights.get(module + ".weight");
        FrozenWeight frozen = base.quantized()
                ? FrozenWeight.quantized(BlockQuantizer.quantize(w.dup().data().asFloat(), w.shape(), base.type(),
                        base.blockSize(), base.doubleQuantize()))
                : FrozenWeight.dense(cast(w));
        baseBytes += frozen.residentBytes();
        baseParameters += w.length();
        INDArray bias = baseTensor(module + ".bias"), gradBias = gradients.get(module + ".bias");
        LoraAdapter adapter = lora == null ? null : lora.adapters().get(module);
        if (adapter == null) {
            return new LoraLinear(frozen, bias, gradBias, null, null, null, null, 0, scratch);
        }
        INDArray a = cast(adapter.a()), b = cast(adapter.b());
        INDArray gradA = Nd4j.zeros(type, a.shape()), gradB = Nd4j.zeros(type, b.shape());
        parameters.put(module + ".lora_A.weight", a);
        parameters.put(module + ".lora_B.weight", b);
        gradients.put(module + ".lora_A.weight", gradA);
        gradients.put(module + ".lora_B.weight", gradB);
        return new LoraLinear(frozen, bias, gradBias, a, b, gradA, gradB, lora.config().scale(), scratch);
    }

    /**
     * The norm {@code module} (γ, and β when the model has one). γ and β train together
     * (modules_to_save), or β alone (bias "all"): a frozen γ then gets a gradient buffer nobody reads.
     */
    LayerNorm norm(String module, double eps) {
        INDArray gamma = baseTensor(module + ".weight"), beta = baseTensor(module + ".bias");
        INDArray gradGamma = gradients.get(module + ".weight"), gradBeta = gradients.get(module + ".bias");
        if (gradBeta != null && gradGamma == null) {
            gradGamma = Nd4j.zeros(type, gamma.shape());
        }
        return new LayerNorm(gamma, beta, gradGamma, gradBeta, eps);
    }

    /** The adapter rank (0 without adapters). */
    long rank() {
        return lora == null ? 0 : lora.config().r();
    }

    /** LoRA dropout (0 without adapters). */
    double loraDropout() {
        return lora == null ? 0 : lora.config().dropout();
    }

    /** The trainable tensors: adapter matrices first met, then trained base tensors, in module order. */
    Map<String, INDArray> parameters() {
        return parameters;
    }

    Map<String, INDArray> gradients() {
        return gradients;
    }

    void zeroGradients() {
        gradients.values().forEach(g -> g.assign(0));
    }

    /** The adapters and trained base tensors with their current values, as float32 (for saving in PEFT's layout). */
    LoraModel currentAdapters() {
        Map<String, LoraAdapter> out = new LinkedHashMap<>();
        lora.adapters().keySet().forEach(module -> out.put(module, new LoraAdapter(
                parameters.get(module + ".lora_A.weight").castTo(DataType.FLOAT).dup(),
                parameters.get(module + ".lora_B.weight").castTo(DataType.FLOAT).dup())));
        Map<String, INDArray> trained = new LinkedHashMap<>();
        trainedBase.forEach(name -> trained.put(name, parameters.get(name).castTo(DataType.FLOAT).dup()));
        return new LoraModel(lora.config(), out, trained);
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
