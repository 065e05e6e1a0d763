package dev.embedtune.model.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A writer of the protocol-buffers wire format (https://protobuf.dev/programming-guides/encoding/),
 * the counterpart of {@link ProtoReader}: each field is a varint key {@code (number << 3) | wireType}
 * followed by a varint (type 0), a varint length and that many bytes (type 2), or 4 bytes (type 5).
 *
 * <p>A message is kept as a list of chunks, so that a nested message (a tensor of 100 MB inside a
 * graph inside a model) is prefixed with its length and appended without being copied: the bytes
 * of large tensors are written once, when the outermost message goes to its stream.
 */
final class ProtoWriter {
    /** Byte arrays at least this long become chunks of their own instead of being copied. */
    private static final int OWN_CHUNK = 4096;

    private final List<byte[]> chunks = new ArrayList<>();
    private ByteArrayOutputStream current = new ByteArrayOutputStream();
    private long size;

    ProtoWriter varint(int field, long value) {
        key(field, ProtoReader.VARINT);
        raw(value);
        return this;
    }

    /** A float field (wire type 5, little-endian IEEE 754). */
    ProtoWriter fixed32(int field, float value) {
        key(field, ProtoReader.FIXED32);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) {
            current.write(bits >>> (8 * i));
        }
        size += 4;
        return this;
    }

    /** A length-delimited field; {@code b} is kept by reference when large, so it must not change afterwards. */
    ProtoWriter bytes(int field, byte[] b) {
        key(field, ProtoReader.LENGTH_DELIMITED);
        raw(b.length);
        if (b.length >= OWN_CHUNK) {
            flush();
            chunks.add(b);
        } else {
            current.writeBytes(b);
        }
        size += b.length;
        return this;
    }

    ProtoWriter string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    /** A nested message: its length, then its chunks (shared, not copied; {@code m} is finished by this call). */
    ProtoWriter message(int field, ProtoWriter m) {
        m.flush();
        key(field, ProtoReader.LENGTH_DELIMITED);
        raw(m.size);
        flush();
        chunks.addAll(m.chunks);
        size += m.size;
        return this;
    }

    /** Bytes written so far. */
    long size() {
        return size;
    }

    void writeTo(OutputStream out) throws IOException {
        flush();
        for (byte[] c : chunks) {
            out.write(c);
        }
    }

    byte[] toByteArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("message of " + size + " bytes does not fit one array");
        }
        flush();
        ByteBuffer all = ByteBuffer.allocate((int) size);
        chunks.forEach(all::put);
        return all.array();
    }

    /** TensorProto in its smallest form: dims (1), data_type FLOAT (2), name (8), raw_data (9). */
    static ProtoWriter floatTensor(String name, float[] data, long... dims) {
        ProtoWriter t = new ProtoWriter();
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, 1).string(8, name);
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return t.bytes(9, b.array());
    }

    /** NodeProto in its smallest form: inputs (1), outputs (2), op_type (4). */
    static ProtoWriter node(String op, String[] inputs, String... outputs) {
        ProtoWriter n = new ProtoWriter();
        for (String i : inputs) {
            n.string(1, i);
        }
        for (String o : outputs) {
            n.string(2, o);
        }
        return n.string(4, op);
    }

    private void flush() {
        if (current.size() > 0) {
            chunks.add(current.toByteArray());
            current = new ByteArrayOutputStream();
        }
    }

    private void key(int field, int wireType) {
        raw(((long) field << 3) | wireType);
    }

    /** A varint: 7 bits a byte, low bits first; a negative int64 takes all ten bytes, as protobuf encodes it. */
    private void raw(long v) {
        while ((v & ~0x7FL) != 0) {
            current.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
            size++;
        }
        current.write((int) v);
        size++;
    }
}
