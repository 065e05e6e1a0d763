package dev.embedtune.model.lora;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.FiniteValues;
import dev.embedtune.model.card.ModelCard;
import dev.embedtune.model.card.RunFacts;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.safetensors.Safetensors;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.st.VersionStamps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes a plain model directory whose weights have the adapters merged in (W + scale·B·A): a copy
 * of the base directory with a new model.safetensors (the base's BERT pooler kept when it has one),
 * the version stamps of {@link VersionStamps} and a model card, built beside the target and renamed
 * into place. Sentence-transformers and a plain Java service load it without knowing about LoRA.
 */
public final class LoraMerge {
    private static final java.util.List<String> POOLER = java.util.List.of("pooler.dense.weight", "pooler.dense.bias");

    private LoraMerge() {
    }

    /**
     * The facts a merged model's card shows: the run's, with the adapter's settings after the run's own
     * (so that a card rewritten later, e.g. with the evaluation, says the same about the adapters).
     */
    public static RunFacts cardFacts(RunFacts card, LoraConfig c) {
        Map<String, Object> settings = new LinkedHashMap<>(card.settings());
        settings.putIfAbsent("lora_r", c.r());
        settings.putIfAbsent("lora_alpha", c.alpha());
        settings.putIfAbsent("lora_dropout", c.dropout());
        settings.putIfAbsent("target_modules", c.targetModules());
        settings.putIfAbsent("use_rslora", c.useRslora());
        settings.putIfAbsent("lora_bias", c.bias().peftName());
        if (!c.modulesToSave().isEmpty()) {
            settings.putIfAbsent("modules_to_save", c.modulesToSave());
        }
        return new RunFacts(card.baseModel(), card.datasetName(), card.trainingSamples(), card.loss(), settings, card.evaluations());
    }

    public static void writeMerged(Path baseDir, LoraModel lora, Path outDir) throws IOException {
        writeMerged(baseDir, lora, outDir, RunFacts.of(ModelCache.nameOrPath(baseDir)));
    }

    /**
     * @param card what the merged model's README.md says (the base model at least); the LoRA settings
     *     are added to its settings
     */
    public static void writeMerged(Path baseDir, LoraModel lora, Path outDir, RunFacts card) throws IOException {
        ModelDirectory base = ModelDirectory.read(baseDir);
        Map<String, INDArray> weights;
        Map<String, INDArray> pooler = new LinkedHashMap<>();
        try (TensorSource source = base.openWeights()) {
            weights = EncoderWeights.read(base.config(), source, base.transformerDir());
            // BertModel's pooler is no encoder weight (sentence-transformers never uses it) but a base that
            // has one keeps it, so that transformers finds nothing missing
            for (String name : POOLER) {
                if (base.config() instanceof BertConfig && source.contains(name)) {
                    pooler.put(name, Nd4j.createFromArray(FiniteValues.requireFinite(source.getFloats(name), source.file(name), name))
                            .reshape(source.info(name).shape()));
                }
            }
        }
        Map<String, INDArray> merged = lora.merge(weights);
        Path target = outDir.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = AtomicFiles.newTempDirectory(target.getParent(), "." + target.getFileName() + ".");
        try {
            copyTree(baseDir, tmp);
            // the Transformer module's folder: the root, or 0_Transformer in old sentence-transformers layouts
            Path transformerDir = tmp.resolve(baseDir.relativize(base.transformerDir()).toString());
            Files.deleteIfExists(transformerDir.resolve(Safetensors.INDEX));
            try (Stream<Path> shards = Files.list(transformerDir)) {
                for (Path p : shards.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) {
                    Files.delete(p);
                }
            }
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (String name : EncoderWeights.shapes(base.config()).keySet()) {
                INDArray a = merged.get(name);
                w.addFloats(name, a.dup().data().asFloat(), a.shape());
            }
            pooler.forEach((name, a) -> w.addFloats(name, a.dup().data().asFloat(), a.shape()));
            w.write(transformerDir.resolve(Safetensors.SINGLE));
            VersionStamps.stampDirectory(tmp, transformerDir);
            ModelCard.write(tmp, cardFacts(card, lora.config()));
            AtomicFiles.replaceDirectory(tmp, target);
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }

    /**
     * The base model's weights in formats this merge does not rewrite (PyTorch .bin, TensorFlow,
     * Flax, Rust, ONNX and OpenVINO exports): copied, they would still hold the base weights, and a
     * reader that prefers them (sentence-transformers' backend="onnx", an old transformers) would
     * silently run the model without the adapters. Also the base's model card, which is replaced.
     */
    static boolean staleWeights(Path relative) {
        String first = relative.getName(0).toString();
        String name = relative.getFileName().toString();
        return first.equals("onnx") || first.equals("openvino")
                || name.startsWith("pytorch_model") && (name.endsWith(".bin") || name.endsWith(".bin.index.json"))
                || name.startsWith("tf_model") || name.startsWith("flax_model") || name.equals("rust_model.ot")
                || name.endsWith(".onnx") || name.endsWith(".onnx_data") || name.equals("README.md");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path rel = from.relativize(p);
                if (rel.toString().startsWith(".embedtune")) {
                    continue;   // the cache's import marker is not part of the model
                }
                if (!rel.toString().isEmpty() && staleWeights(rel)) {
                    continue;
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

}
