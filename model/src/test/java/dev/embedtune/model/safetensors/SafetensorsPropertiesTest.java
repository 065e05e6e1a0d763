package dev.embedtune.model.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Round trips of random tensors of every dtype and shape, and random damage to valid files:
 * every damaged file either still reads correctly or fails with a SafetensorsException — never
 * another exception, a hang or a crash.
 */
class SafetensorsPropertiesTest {

    private static Path dir;

    @BeforeContainer
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("safetensors-props");
    }

    @AfterContainer
    static void deleteDir() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    record Tensor(String name, DType dtype, long[] shape, byte[] data) {
    }

    @Provide
    Arbitrary<List<Tensor>> tensors() {
        Arbitrary<DType> dtypes = Arbitraries.of(DType.class);
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 5).array(long[].class).ofMinSize(0).ofMaxSize(3);
        Arbitrary<Long> seeds = Arbitraries.longs();
        Arbitrary<Tensor> tensor = Combinators.combine(dtypes, shapes, seeds).as((dtype, shape, seed) -> {
            long numel = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            byte[] data = new byte[(int) numel * dtype.byteSize()];
            new Random(seed).nextBytes(data);
            return new Tensor("", dtype, shape, data);
        });
        return tensor.list().ofMinSize(0).ofMaxSize(6).map(list -> {
            List<Tensor> named = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                Tensor t = list.get(i);
                named.add(new Tensor("layer." + i + ".weight", t.dtype(), t.shape(), t.data()));
            }
            return named;
        });
    }

    private static Path writeAll(List<Tensor> tensors, String fileName) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Tensor t : tensors) {
            w.add(t.name(), t.dtype(), t.shape(), ByteBuffer.wrap(t.data()));
        }
        Path file = dir.resolve(fileName);
        try {
            w.write(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    @Property(tries = 60)
    void writtenTensorsReadBackBitForBit(@ForAll("tensors") List<Tensor> tensors) throws IOException {
        Path file = writeAll(tensors, "roundtrip.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(tensors.size(), f.names().size());
            for (Tensor t : tensors) {
                TensorInfo info = f.info(t.name());
                assertEquals(t.dtype(), info.dtype());
                assertArrayEquals(t.shape(), info.shape());
                ByteBuffer raw = f.getRaw(t.name());
                byte[] back = new byte[raw.remaining()];
                raw.get(back);
                assertArrayEquals(t.data(), back, t.name());
                if (t.dtype().isNumeric()) {
                    assertEquals(t.data().length / t.dtype().byteSize(), f.getFloats(t.name()).length);
                }
            }
        }
        checkHeaderIndependently(file, tensors);
    }

    /** Parses our header with plain Jackson and ByteBuffer, not with our reader. */
    private static void checkHeaderIndependently(Path file, List<Tensor> tensors) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data section aligned to 8 bytes");
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals("pt", header.get("__metadata__").get("format").asText());
        assertEquals("__metadata__", header.fieldNames().next(), "__metadata__ first");
        Map<String, Tensor> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.name(), t));
        long total = 0;
        for (Tensor t : tensors) {
            JsonNode entry = header.get(t.name());
            assertEquals(t.dtype().name(), entry.get("dtype").asText());
            long[] shape = new long[entry.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = entry.get("shape").get(i).asLong();
            }
            assertArrayEquals(t.shape(), shape);
            long begin = entry.get("data_offsets").get(0).asLong(), end = entry.get("data_offsets").get(1).asLong();
            assertArrayEquals(t.data(), Arrays.copyOfRange(bytes, (int) (8 + n + begin), (int) (8 + n + end)));
            total += end - begin;
        }
        assertEquals(bytes.length, 8 + n + total, "no bytes beyond the tensors");
    }

    @Property(tries = 8)
    void everyTruncationFailsCleanly(@ForAll("tensors") List<Tensor> tensors) throws IOException {
        Path whole = writeAll(tensors, "whole.safetensors");
        byte[] bytes = Files.readAllBytes(whole);
        for (int cut = 0; cut < bytes.length; cut++) {
            Path file = SafetensorsTestFiles.write(dir, "cut.safetensors", Arrays.copyOf(bytes, cut));
            readEverythingOrFailCleanly(file);
        }
    }

    @Property(tries = 300)
    void randomCorruptionReadsOrFailsCleanly(@ForAll("tensors") List<Tensor> tensors,
            @ForAll long seed) throws IOException {
        Path whole = writeAll(tensors, "whole2.safetensors");
        byte[] bytes = Files.readAllBytes(whole);
        Random random = new Random(seed);
        int damage = 1 + random.nextInt(4);
        for (int i = 0; i < damage; i++) {
            int at = random.nextInt(bytes.length);
            bytes[at] = (byte) (random.nextBoolean() ? random.nextInt(256) : "{}[],:\"0123456789-".charAt(random.nextInt(18)));
        }
        readEverythingOrFailCleanly(SafetensorsTestFiles.write(dir, "damaged.safetensors", bytes));
    }

    private static void readEverythingOrFailCleanly(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                TensorInfo info = f.info(name);
                f.getRaw(name);
                if (info.dtype().isNumeric()) {
                    f.getFloats(name);
                }
            }
        } catch (SafetensorsException expected) {
            // a clear, file-naming failure is what damage should give
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(file + ": damage gave " + e + " instead of a SafetensorsException", e);
        }
    }
}
