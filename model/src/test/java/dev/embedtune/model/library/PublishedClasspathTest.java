package dev.embedtune.model.library;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.quant.NativeRuntime;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * embedtune-model's POM excludes ND4J jars the embedding path does not use; what it keeps must be
 * enough for the parts that fail softly. NativeRuntime (libc's setenv, OpenBLAS's core through JNA)
 * swallows a missing class and leaves the slow defaults, so its working is checked here, on this
 * module's classpath: the published one plus test-only jars, none of which brings JNA.
 */
class PublishedClasspathTest {

    @Test
    void nativeRuntimeReadsOpenBlasCoreAfterAnEmbedding() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"),
                "NativeRuntime acts on Linux only");
        Embedder embedder = Embedder.load(ModelCache.resolve("builtin:all-minilm-l6-v2"));
        embedder.encode(List.of("hacker"));
        assertNotNull(NativeRuntime.blasCore(), "OpenBLAS is loaded but NativeRuntime cannot name its core: "
                + "is JNA missing from embedtune-model's runtime classpath?");
    }
}
