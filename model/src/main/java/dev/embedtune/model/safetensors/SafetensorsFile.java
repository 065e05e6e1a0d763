package dev.embedtune.model.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file.
 *
 * <p>Byte layout (all integers little-endian):
 * <pre>
 * File       --&gt; HeaderSize, Header, Data
 * HeaderSize --&gt; uint64: N, the byte length of Header (at most 100,000,000)
 * Header     --&gt; N bytes of UTF-8 JSON, an object, padded at the end with spaces:
 *                { "__metadata__": { string: string, … }?,
 *                  name: { "dtype": DType, "shape": [uint, …], "data_offsets": [begin, end] }, … }
 * Data       --&gt; the tensors' bytes back to back; a tensor's bytes lie at
 *                [8 + N + begin, 8 + N + end), row-major, little-endian
 * </pre>
 * The tensors sorted by {@code begin} must tile Data exactly. Each tensor is mapped on first use
 * by its own mapping, so files over 2 GiB are read without one huge mapping; a single tensor of
 * 2 GiB or more can still be read with {@link #getFloats} (in chunks), not with {@link #getRaw}.
 */
public final class SafetensorsFile implements TensorSource {

    /** The reference implementation's limit, which keeps a corrupt length from allocating gigabytes. */
    static final long MAX_HEADER_SIZE = 100_000_000;
    private static final long MAX_MAPPING = Integer.MAX_VALUE;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, SafetensorsHeader header) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        header.tensors().forEach(t -> tensors.put(t.name(), t));
        this.metadata = header.metadata();
    }

    /**
     * Opens and validates a file; the tensors' data is mapped lazily.
     *
     * @throws SafetensorsException naming the file (and tensor) when it is not valid safetensors
     */
    public static SafetensorsFile open(Path file) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file, "no such file");
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 0 || headerLength > MAX_HEADER_SIZE) {
                throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_SIZE + " bytes");
            }
            if (8 + headerLength > size) {
                throw new SafetensorsException(file, "header length " + headerLength + " reaches beyond the end of the "
                        + size + "-byte file (truncated?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            byte[] json = headerBytes.array();
            if (json.length == 0 || json[0] != '{') {
                throw new SafetensorsException(file, "header should start with '{'");
            }
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, size - 8 - headerLength);
            return new SafetensorsFile(file, channel, 8 + headerLength, header);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position + into.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    public Path path() {
        return file;
    }

    @Override
    public Path file(String name) {
        return file;
    }

    @Override
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(tensors.keySet()));
    }

    /** Every tensor's header entry, in data order. */
    public List<TensorInfo> infos() {
        return List.copyOf(tensors.values());
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw SafetensorsException.tensor(file, name, "not in this file (it holds " + tensors.size() + " tensors)");
        }
        return t;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public ByteBuffer getRaw(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.byteLength() > MAX_MAPPING) {
            throw SafetensorsException.tensor(file, name, t.byteLength() + " bytes is too large for one buffer; use getFloats");
        }
        return map(t.begin(), t.byteLength());
    }

    private ByteBuffer map(long begin, long length) throws IOException {
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, length)
                .order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public float[] getFloats(String name) throws IOException {
        TensorInfo t = info(name);
        if (!t.dtype().isNumeric()) {
            throw SafetensorsException.tensor(file, name, "dtype " + t.dtype() + " cannot be read as floats");
        }
        long numel = t.numel();
        if (numel > Integer.MAX_VALUE - 8) {
            throw SafetensorsException.tensor(file, name, numel + " elements do not fit a Java array");
        }
        float[] out = new float[(int) numel];
        int size = t.dtype().byteSize();
        // Chunks of whole elements below 2 GiB, so huge tensors need no single huge mapping.
        long chunkElements = (1L << 30) / size;
        for (long first = 0; first < numel; first += chunkElements) {
            long count = Math.min(chunkElements, numel - first);
            ByteBuffer bytes = map(t.begin() + first * size, count * size);
            convert(t.dtype(), bytes, out, (int) first, (int) count);
        }
        return out;
    }

    static void convert(DType dtype, ByteBuffer in, float[] out, int offset, int count) {
        switch (dtype) {
            case F32 -> in.asFloatBuffer().get(out, offset, count);
            case F64 -> { for (int i = 0; i < count; i++) out[offset + i] = (float) in.getDouble(i * 8); }
            case F16 -> { for (int i = 0; i < count; i++) out[offset + i] = HalfFloats.f16ToFloat(in.getShort(i * 2)); }
            case BF16 -> { for (int i = 0; i < count; i++) out[offset + i] = HalfFloats.bf16ToFloat(in.getShort(i * 2)); }
            case I64 -> { for (int i = 0; i < count; i++) out[offset + i] = in.getLong(i * 8); }
            case I32 -> { for (int i = 0; i < count; i++) out[offset + i] = in.getInt(i * 4); }
            case I16 -> { for (int i = 0; i < count; i++) out[offset + i] = in.getShort(i * 2); }
            case I8 -> { for (int i = 0; i < count; i++) out[offset + i] = in.get(i); }
            case U8 -> { for (int i = 0; i < count; i++) out[offset + i] = in.get(i) & 0xFF; }
            case BOOL -> throw new IllegalArgumentException("BOOL is not numeric");
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing a read-only channel loses nothing
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors]";
    }
}
