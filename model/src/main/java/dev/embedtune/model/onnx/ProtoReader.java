package dev.embedtune.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A reader of the protocol-buffers wire format (https://protobuf.dev/programming-guides/encoding/):
 * each field is a varint key {@code (number << 3) | wireType}, then a varint (type 0), 8 bytes
 * (type 1), a varint length and that many bytes (type 2), or 4 bytes (type 5). Only what the ONNX
 * importer needs; malformed input gives {@link OnnxFormatException}, never an out-of-bounds read.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private final ByteBuffer buf;   // little-endian view of exactly this message
    private int fieldNumber;
    private int wireType;

    ProtoReader(ByteBuffer message) {
        this.buf = message.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() throws OnnxFormatException {
        if (!buf.hasRemaining()) {
            return false;
        }
        long key = varint();
        fieldNumber = (int) (key >>> 3);
        wireType = (int) (key & 7);
        if (fieldNumber <= 0) {
            throw new MalformedProtoException("invalid field number " + fieldNumber + " at byte " + buf.position());
        }
        return true;
    }

    int field() {
        return fieldNumber;
    }

    int wireType() {
        return wireType;
    }

    long varint() throws OnnxFormatException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buf.hasRemaining()) {
                throw new MalformedProtoException("truncated varint at byte " + buf.position());
            }
            byte b = buf.get();
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new MalformedProtoException("varint longer than 10 bytes at byte " + buf.position());
    }

    /** The bytes of a length-delimited field, as a view (no copy). */
    ByteBuffer bytes() throws OnnxFormatException {
        expect(LENGTH_DELIMITED);
        long length = varint();
        if (length < 0 || length > buf.remaining()) {
            throw new MalformedProtoException("field " + fieldNumber + " claims " + length + " bytes but "
                    + buf.remaining() + " remain (truncated file?)");
        }
        ByteBuffer view = buf.slice().limit((int) length).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + (int) length);
        return view;
    }

    String string() throws OnnxFormatException {
        ByteBuffer b = bytes();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    float fixed32Float() throws OnnxFormatException {
        expect(FIXED32);
        need(4);
        return buf.getFloat();
    }

    /** A repeated int64 field, packed (one length-delimited run) or not (one varint). */
    void int64s(java.util.List<Long> out) throws OnnxFormatException {
        if (wireType == LENGTH_DELIMITED) {
            ProtoReader packed = new ProtoReader(bytes());
            while (packed.buf.hasRemaining()) {
                out.add(packed.varint());
            }
        } else {
            expect(VARINT);
            out.add(varint());
        }
    }

    /** A repeated float field, packed or not. */
    void floats(java.util.List<Float> out) throws OnnxFormatException {
        if (wireType == LENGTH_DELIMITED) {
            ByteBuffer b = bytes();
            if (b.remaining() % 4 != 0) {
                throw new MalformedProtoException("packed floats of " + b.remaining() + " bytes");
            }
            while (b.hasRemaining()) {
                out.add(b.getFloat());
            }
        } else {
            out.add(fixed32Float());
        }
    }

    void skip() throws OnnxFormatException {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> { need(8); buf.position(buf.position() + 8); }
            case LENGTH_DELIMITED -> bytes();
            case FIXED32 -> { need(4); buf.position(buf.position() + 4); }
            default -> throw new MalformedProtoException("unsupported wire type " + wireType + " for field " + fieldNumber);
        }
    }

    private void need(int n) throws OnnxFormatException {
        if (buf.remaining() < n) {
            throw new MalformedProtoException("truncated field " + fieldNumber + ": needs " + n + " bytes, " + buf.remaining() + " remain");
        }
    }

    private void expect(int type) throws OnnxFormatException {
        if (wireType != type) {
            throw new MalformedProtoException("field " + fieldNumber + " has wire type " + wireType + ", expected " + type);
        }
    }
}
