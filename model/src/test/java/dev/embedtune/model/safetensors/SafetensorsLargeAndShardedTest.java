package dev.embedtune.model.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsLargeAndShardedTest {

    @TempDir
    Path dir;

    /**
     * A sparse file of 2.5 GiB: a 2.5e9-byte U8 tensor of zeros (never written to disk), then a
     * small F32 tensor whose bytes lie past the 2 GiB mark, where one int-indexed mapping cannot reach.
     */
    @Test
    void tensorsBeyondTwoGibibytesRead() throws IOException {
        long big = 2_500_000_000L;
        String json = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[" + big + "," + (big + 12) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("large.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header);
            raf.write(head.array());
            long tailAt = 8 + header.length + big;
            raf.setLength(tailAt + 12);
            raf.seek(tailAt);
            ByteBuffer tail = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(-2.5f).putFloat(3e-7f);
            raf.write(tail.array());
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {1f, -2.5f, 3e-7f}, f.getFloats("tail"));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.getRaw("big"));
            assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains("getFloats"), e.getMessage());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private Path shard(String name, String tensor, float value) throws IOException {
        Path p = dir.resolve(name);
        new SafetensorsWriter().addFloats(tensor, new float[] {value, value}, 2).write(p);
        return p;
    }

    @Test
    void shardedCheckpointsReadThroughTheIndex() throws IOException {
        shard("model-00001-of-00002.safetensors", "a.weight", 1f);
        shard("model-00002-of-00002.safetensors", "b.weight", 2f);
        Files.writeString(dir.resolve(Safetensors.INDEX), "{\"metadata\":{\"total_size\":16},\"weight_map\":{"
                + "\"a.weight\":\"model-00001-of-00002.safetensors\",\"b.weight\":\"model-00002-of-00002.safetensors\"}}");
        try (TensorSource s = Safetensors.openModel(dir)) {
            assertTrue(s instanceof ShardedSafetensors);
            assertEquals(List.of("a.weight", "b.weight"), s.names());
            assertArrayEquals(new float[] {2f, 2f}, s.getFloats("b.weight"));
            assertEquals("16", s.metadata().get("total_size"));
            assertArrayEquals(new long[] {2}, s.info("a.weight").shape());
        }
    }

    @Test
    void anIndexNamingAMissingShardOrTensorIsAClearError() throws IOException {
        shard("model-00001-of-00002.safetensors", "a.weight", 1f);
        Path index = dir.resolve(Safetensors.INDEX);
        Files.writeString(index, "{\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\","
                + "\"b.weight\":\"model-00002-of-00002.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors") && e.getMessage().contains("'b.weight'"), e.getMessage());

        Files.writeString(index, "{\"weight_map\":{\"c.weight\":\"model-00001-of-00002.safetensors\"}}");
        e = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
        assertTrue(e.getMessage().contains("'c.weight'") && e.getMessage().contains("does not contain"), e.getMessage());

        Files.writeString(index, "{\"metadata\":{}}");
        e = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
        assertTrue(e.getMessage().contains("weight_map"), e.getMessage());
    }

    @Test
    void theWriterRejectsMismatchedData() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsWriter().addFloats("w", new float[5], 2, 3));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("24 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsWriter().addFloats("w", new float[1], 1).addFloats("w", new float[1], 1));
    }

    @Test
    void widenedTypesConvertToFloats() throws IOException {
        Path p = dir.resolve("types.safetensors");
        ByteBuffer f16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C00).putShort((short) 0xC000).flip();
        ByteBuffer bf16 = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3F80).flip();
        ByteBuffer f64 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).flip();
        ByteBuffer i64 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).flip();
        ByteBuffer u8 = ByteBuffer.wrap(new byte[] {(byte) 200});
        new SafetensorsWriter().add("h", DType.F16, new long[] {2}, f16).add("b", DType.BF16, new long[] {1}, bf16)
                .add("d", DType.F64, new long[] {1}, f64).add("l", DType.I64, new long[] {1}, i64)
                .add("u", DType.U8, new long[] {1}, u8).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertArrayEquals(new float[] {1f, -2f}, f.getFloats("h"));
            assertArrayEquals(new float[] {1f}, f.getFloats("b"));
            assertArrayEquals(new float[] {0.1f}, f.getFloats("d"));
            assertArrayEquals(new float[] {-5f}, f.getFloats("l"));
            assertArrayEquals(new float[] {200f}, f.getFloats("u"));
        }
    }
}
