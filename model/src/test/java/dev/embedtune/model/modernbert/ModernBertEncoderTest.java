package dev.embedtune.model.modernbert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModernBertEncoderTest {

    @TempDir
    Path dir;

    /** 4 layers (0 and 3 global), hidden 64, 4 heads, window 8 (|i − j| ≤ 4) over 40 tokens. */
    static ModernBertConfig small() {
        return new ModernBertConfig(100, 64, 96, 4, 4, "gelu", 512, 0.02, 1e-5, false, 0, 0, 0, 0, 0,
                160000, false, 0, 3, 8, 10000, 0, false, 0);
    }

    @Test
    void equalsAnIndependentDoublePrecisionReference() {
        ModernBertConfig c = small();
        Random random = new Random(7);
        Map<String, INDArray> weights = new HashMap<>();
        Map<String, double[]> doubles = new HashMap<>();
        ModernBertWeights.shapes(c).forEach((name, shape) -> {
            int size = 1;
            for (long s : shape) {
                size *= (int) s;
            }
            float[] values = new float[size];
            for (int i = 0; i < size; i++) {
                values[i] = name.contains("norm") ? 1f + 0.1f * (float) random.nextGaussian() : 0.08f * (float) random.nextGaussian();
            }
            weights.put(name, Nd4j.createFromArray(values).reshape(shape));
            double[] asDouble = new double[size];
            for (int i = 0; i < size; i++) {
                asDouble[i] = values[i];
            }
            doubles.put(name, asDouble);
        });
        ModernBertEncoder encoder = ModernBertEncoder.fromWeights(c, weights);
        ModernBertReference reference = new ModernBertReference(doubles, 64, 4, 96, 4, 3, 8, 1e-5, 160000, 10000);

        int t = 40;
        int[] lengths = {40, 33, 17};
        int[][] ids = new int[3][t], mask = new int[3][t];
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < lengths[b]; i++) {
                ids[b][i] = 1 + random.nextInt(99);
                mask[b][i] = 1;
            }
        }
        INDArray out = encoder.forward(ids, mask);
        assertArrayEquals(new long[] {3, t, 64}, out.shape());
        double max = 0;
        for (int b = 0; b < 3; b++) {
            double[][] ref = reference.forward(java.util.Arrays.copyOf(ids[b], lengths[b]), java.util.Arrays.copyOf(mask[b], lengths[b]));
            for (int i = 0; i < lengths[b]; i++) {
                for (int j = 0; j < 64; j++) {
                    max = Math.max(max, Math.abs(ref[i][j] - out.getDouble(b, i, j)));
                }
            }
        }
        System.out.println("ModernBERT max |graph - reference| = " + max);
        assertTrue(max <= 1e-5, "max abs difference " + max);   // issue 4's tolerance
    }

    @Test
    void theReferenceErfIsAccurate() {
        // erf values from Abramowitz & Stegun table 7.1
        assertEquals(0.5204998778, ModernBertReference.erf(0.5), 1e-10);
        assertEquals(0.8427007929, ModernBertReference.erf(1.0), 1e-10);
        assertEquals(0.9953222650, ModernBertReference.erf(2.0), 1e-10);
        assertEquals(-0.9999779095, ModernBertReference.erf(-3.0), 1e-10);
    }

    /**
     * A ModernBERT-base-shaped checkpoint (22 layers, hidden 768, vocab 50368: 149 M parameters) as a
     * sparse file of zeros: its names and shapes load; one wrong shape or missing tensor is named.
     */
    @Test
    void loadingChecksNamesAndShapesOfABaseShapedCheckpoint() throws IOException {
        ModernBertConfig base = new ModernBertConfig(50368, 768, 1152, 22, 12, "gelu", 8192, 0.02, 1e-5, false,
                50283, 50282, 50281, 50281, 50282, 160000, false, 0, 3, 128, 10000, 0, false, 0);
        Map<String, long[]> shapes = ModernBertWeights.shapes(base);
        assertEquals(2 + 22 * 6 - 1 + 1, shapes.size());   // embeddings + norm, 6 per layer (no attn_norm in layer 0), final_norm
        Path good = sparseCheckpoint(shapes, null);
        try (SafetensorsFile f = SafetensorsFile.open(good)) {
            long params = 0;
            for (String name : f.names()) {
                params += f.info(name).numel();
                assertArrayEquals(shapes.get(name), f.info(name).shape(), name);
            }
            assertEquals(149_014_272L, params);   // ModernBERT-base's published count, 149 M
        }
        Map<String, long[]> wrong = new java.util.LinkedHashMap<>(shapes);
        wrong.put("layers.5.mlp.Wi.weight", new long[] {1152, 768});
        Path bad = sparseCheckpoint(wrong, "bad.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(bad)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModernBertEncoder.load(base, f, bad));
            assertTrue(e.getMessage().contains("'layers.5.mlp.Wi.weight' has shape [1152, 768], expected [2304, 768]"), e.getMessage());
        }
    }

    private Path sparseCheckpoint(Map<String, long[]> shapes, String name) throws IOException {
        StringBuilder json = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = 4;
            for (long s : e.getValue()) {
                bytes *= s;
            }
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"').append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue()).replace(" ", "")).append(",\"data_offsets\":[")
                    .append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve(name == null ? "model.safetensors" : name);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
            raf.setLength(8 + header.length + offset);
        }
        return file;
    }
}
