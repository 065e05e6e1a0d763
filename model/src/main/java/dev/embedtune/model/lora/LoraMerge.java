package dev.embedtune.model.lora;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.safetensors.Safetensors;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes a plain model directory whose weights have the adapters merged in (W + scale·B·A): a copy
 * of the base directory with a new model.safetensors, built beside the target and renamed into
 * place. Sentence-transformers and a plain Java service load it without knowing about LoRA.
 */
public final class LoraMerge {
    private LoraMerge() {
    }

    public static void writeMerged(Path baseDir, LoraModel lora, Path outDir) throws IOException {
        ModelDirectory base = ModelDirectory.read(baseDir);
        Map<String, INDArray> weights;
        try (TensorSource source = base.openWeights()) {
            weights = EncoderWeights.read(base.config(), source, base.transformerDir());
        }
        Map<String, INDArray> merged = lora.merge(weights);
        Path target = outDir.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = AtomicFiles.newTempDirectory(target.getParent(), "." + target.getFileName() + ".");
        try {
            copyTree(baseDir, tmp);
            Files.deleteIfExists(tmp.resolve(Safetensors.INDEX));
            try (Stream<Path> shards = Files.list(tmp)) {
                for (Path p : shards.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) {
                    Files.delete(p);
                }
            }
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (String name : EncoderWeights.shapes(base.config()).keySet()) {
                INDArray a = merged.get(name);
                w.addFloats(name, a.dup().data().asFloat(), a.shape());
            }
            w.write(tmp.resolve(Safetensors.SINGLE));
            AtomicFiles.replaceDirectory(tmp, target);
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path rel = from.relativize(p);
                if (rel.toString().startsWith(".embedtune")) {
                    continue;   // the cache's import marker is not part of the model
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
