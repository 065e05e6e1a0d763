package dev.embedtune.model.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 4's bad-input cases on the default model. */
class EmbedderEdgeCasesTest {

    static Path minilm;
    static Embedder embedder;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        minilm = ModelCache.resolve("builtin:all-minilm-l6-v2");
        embedder = Embedder.load(minilm);
    }

    @Test
    void anEmptyListGivesAnEmptyResult() {
        assertEquals(0, embedder.encode(List.of()).length);
    }

    @Test
    void anEmptyStringGivesAValidUnitVector() {
        float[] v = embedder.encode(List.of(""))[0];
        assertEquals(384, v.length);
        double norm = 0;
        for (float x : v) {
            assertTrue(Float.isFinite(x));
            norm += x * x;
        }
        assertEquals(1.0, norm, 1e-5);
    }

    @Test
    void overLongTextIsTruncatedAtMaxSeqLength() {
        String base = "hacker culture values clever solutions to hard problems ";
        String longText = base.repeat(60);           // about 480 tokens, past MiniLM's 256
        String longer = longText + base.repeat(60);  // differs only beyond the 256th token
        float[][] v = embedder.encode(List.of(longText, longer));
        assertArrayEquals(v[0], v[1], 1e-6f, "text beyond max_seq_length must not change the embedding");
    }

    @Test
    void truncateDimKeepsTheFirstDimensions() throws IOException {
        Embedder small = Embedder.load(minilm, new Embedder.Options(8, null, 64));
        float[] full = embedder.encode(List.of("kludge"))[0];
        float[] cut = small.encode(List.of("kludge"))[0];
        assertEquals(64, cut.length);
        assertArrayEquals(java.util.Arrays.copyOf(full, 64), cut, 1e-6f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Embedder.load(minilm, new Embedder.Options(8, null, 500)));
        assertTrue(e.getMessage().contains("500") && e.getMessage().contains("384"), e.getMessage());
    }

    @Test
    void aPromptIsPutBeforeTheText() {
        // include_prompt is true for MiniLM, so a prompt is simply part of the text
        float[] viaPrompt = embedder.encode(List.of("kludge"), "query: ")[0];
        float[] inline = embedder.encode(List.of("query: kludge"), null)[0];
        assertArrayEquals(inline, viaPrompt, 1e-6f);
    }

    @Test
    void streamingGivesTheSameVectorsInOrder() {
        List<String> texts = List.of("a", "much longer text about compilers and linkers", "b", "hacker", "");
        float[][] direct = embedder.encode(texts);
        List<float[]> streamed = new java.util.ArrayList<>();
        assertEquals(5, embedder.encodeStream(texts.iterator(), null, 2, streamed::add));
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(direct[i], streamed.get(i), 1e-6f, "text " + i);
        }
    }

    /** A copy of the model whose weights file lacks one tensor, or has one of the wrong shape. */
    private Path brokenCopy(String tensor, boolean wrongShape) throws IOException {
        Path copy = dir.resolve("broken");
        Files.createDirectories(copy);
        try (var files = Files.list(minilm)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().equals("model.safetensors")) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
        }
        Files.createDirectories(copy.resolve("1_Pooling"));
        Files.copy(minilm.resolve("1_Pooling/config.json"), copy.resolve("1_Pooling/config.json"));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile src = SafetensorsFile.open(minilm.resolve("model.safetensors"))) {
            for (String name : src.names()) {
                if (name.equals(tensor)) {
                    if (wrongShape) {
                        w.addFloats(name, new float[384 * 2], 2, 384);
                    }
                    continue;
                }
                w.addFloats(name, src.getFloats(name), src.info(name).shape());
            }
        }
        w.write(copy.resolve("model.safetensors"));
        return copy;
    }

    @Test
    void aMissingWeightIsNamed() throws IOException {
        Path broken = brokenCopy("encoder.layer.3.attention.self.key.weight", false);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Embedder.load(broken));
        assertTrue(e.getMessage().contains("'encoder.layer.3.attention.self.key.weight'"), e.getMessage());
    }

    @Test
    void aShapeMismatchNamesTensorExpectedAndFound() throws IOException {
        Path broken = brokenCopy("embeddings.position_embeddings.weight", true);   // [2, 384] instead of [512, 384]
        ModelDirectory md = ModelDirectory.read(broken);
        try (TensorSource w = md.openWeights()) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> BertEncoder.load(md.bertConfig(), w, broken));
            assertTrue(e.getMessage().contains("'embeddings.position_embeddings.weight' has shape [2, 384], expected [512, 384]"),
                    e.getMessage());
        }
    }
}
