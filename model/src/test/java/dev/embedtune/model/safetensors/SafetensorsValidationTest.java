package dev.embedtune.model.safetensors;

import static dev.embedtune.model.safetensors.SafetensorsTestFiles.raw;
import static dev.embedtune.model.safetensors.SafetensorsTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a header can be wrong gives a SafetensorsException naming the file and the tensor. */
class SafetensorsValidationTest {

    @TempDir
    Path dir;

    private SafetensorsException failure(String header, int dataBytes) throws IOException {
        Path file = write(dir, "bad.safetensors", raw(header, new byte[dataBytes]));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
        return e;
    }

    private static void assertMentions(SafetensorsException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void aValidHandBuiltFileReads() throws IOException {
        // Two F32 values 1.5 and -2 at [0, 8), one I8 value 7 at [8, 9).
        ByteBuffer data = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).put((byte) 7);
        Path file = write(dir, "ok.safetensors", raw("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[8,9]}}", data.array()));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(java.util.List.of("w", "n"), f.names());
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(1.5f, f.getFloats("w")[0]);
            assertEquals(-2f, f.getFloats("w")[1]);
            assertEquals(7f, f.getFloats("n")[0]);
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.info("missing"));
            assertMentions(e, "'missing'", file.toString());
        }
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put("{}      ".getBytes());
        Path file = write(dir, "short.safetensors", b.array());
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file));
        assertMentions(e, "header length 1000", "beyond the end", "16-byte file");
    }

    @Test
    void headerLengthOverTheLimitAndNegative() throws IOException {
        for (long length : new long[] {200_000_000L, -1L}) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
            Path file = write(dir, "huge.safetensors", b.array());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file));
            assertMentions(e, "exceeds the limit");
        }
    }

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        Path file = write(dir, "tiny.safetensors", new byte[3]);
        assertMentions(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)), "3 bytes");
    }

    @Test
    void badJsonAndNonObjects() throws IOException {
        assertMentions(failure("{\"w\":", 0), "not valid JSON");
        assertMentions(failure("[1,2]", 0), "should start with '{'");
        assertMentions(failure("{\"w\":[1]}", 0), "'w'", "entry should be an object");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "not valid JSON", "Duplicate");
        assertMentions(failure("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__.k", "string");
    }

    @Test
    void unknownDtypeListsTheSupportedOnes() throws IOException {
        assertMentions(failure("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
                "'w'", "unknown dtype \"F8_E4M3\"", "BF16");
    }

    @Test
    void missingAndMalformedFields() throws IOException {
        assertMentions(failure("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "'w'", "dtype");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "'w'", "\"shape\"");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "'w'", "\"data_offsets\"");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "'w'", "non-negative integer");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "'w'", "non-negative integer");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "'w'", "2 values");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4), "'w'", "end before begin");
    }

    @Test
    void shapeTimesDtypeMustMatchTheByteRange() throws IOException {
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20),
                "'w'", "[2, 3]", "24 bytes", "hold 20");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4),
                "'w'", "overflows");
    }

    @Test
    void offsetsOutOfBoundsOverlappingOrLeavingGaps() throws IOException {
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4),
                "need 8 bytes", "holds 4");
        assertMentions(failure("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "'b'", "overlap");
        assertMentions(failure("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "'b'", "gap");
        assertMentions(failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 10),
                "holds 10 bytes", "cover only 4");
    }

    @Test
    void boolIsNotReadAsFloats() throws IOException {
        Path file = write(dir, "bool.safetensors", raw("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[] {1, 0}));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertMentions(assertThrows(SafetensorsException.class, () -> f.getFloats("m")), "'m'", "BOOL");
            assertEquals(1, f.getRaw("m").get(0));
        }
    }

    @Test
    void missingFileAndEmptyModelDirectory() {
        Path missing = dir.resolve("none.safetensors");
        assertMentions(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(missing)), "no such file");
        assertMentions(assertThrows(SafetensorsException.class, () -> Safetensors.openModel(dir)),
                Safetensors.SINGLE, Safetensors.INDEX);
    }
}
