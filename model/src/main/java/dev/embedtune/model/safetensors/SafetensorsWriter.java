package dev.embedtune.model.safetensors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a safetensors file (layout in {@link SafetensorsFile}). Tensors are laid out in name
 * order; the header lists {@code __metadata__} first, is padded with spaces to a multiple of 8
 * bytes so the data section is aligned, and the file is written to a temporary name in the same
 * directory and renamed into place, so a reader never sees a half-written file.
 */
public final class SafetensorsWriter {

    private record Entry(DType dtype, long[] shape, ByteBuffer data) {
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final TreeMap<String, Entry> tensors = new TreeMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor; {@code data}'s remaining bytes are its little-endian contents.
     *
     * @throws IllegalArgumentException when the name is taken or the byte count does not match
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, ByteBuffer data) {
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("\"__metadata__\" is reserved and cannot name a tensor");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
            numel = Math.multiplyExact(numel, d);
        }
        long expected = numel * dtype.byteSize();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " × " + dtype
                    + " needs " + expected + " bytes, got " + data.remaining());
        }
        tensors.put(name, new Entry(dtype, shape.clone(), data.slice()));
        return this;
    }

    /** Adds a float32 tensor. */
    public SafetensorsWriter addFloats(String name, float[] data, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return add(name, DType.F32, shape, bytes);
    }

    /** The header JSON this writer would produce, unpadded. */
    String headerJson() {
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long length = e.getValue().data().remaining();
            t.putArray("data_offsets").add(offset).add(offset + length);
            offset += length;
        }
        return root.toString();
    }

    public void write(Path file) throws IOException {
        byte[] json = headerJson().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer header = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(padded).put(json);
        while (header.hasRemaining()) {
            header.put((byte) ' ');
        }
        header.flip();
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dev.embedtune.model.AtomicFiles.newTempFile(dir, "." + file.getFileName());
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, header);
                for (Entry e : tensors.values()) {
                    writeFully(out, e.data().duplicate());
                }
                out.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
