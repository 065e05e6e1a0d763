package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The writer against the protobuf encoding's own examples and against our reader. */
class ProtoWriterTest {

    @Test
    void encodesAsTheProtobufDocumentationShows() {
        // protobuf.dev/programming-guides/encoding: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67
        assertArrayEquals(new byte[] {0x08, (byte) 0x96, 0x01}, new ProtoWriter().varint(1, 150).toByteArray());
        assertArrayEquals(new byte[] {0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67},
                new ProtoWriter().string(2, "testing").toByteArray());
        // an embedded message, field 3 = {1: 150}: 1a 03 08 96 01
        assertArrayEquals(new byte[] {0x1a, 0x03, 0x08, (byte) 0x96, 0x01},
                new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)).toByteArray());
        // int64 −1 takes ten bytes: ff ff ff ff ff ff ff ff ff 01
        byte[] minusOne = new ProtoWriter().varint(1, -1).toByteArray();
        assertEquals(11, minusOne.length);
        assertEquals(0x01, minusOne[10]);
    }

    @Test
    void whatItWritesTheReaderReadsBackThroughNestedMessagesAndLargeChunks() throws Exception {
        byte[] big = new byte[100_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        ProtoWriter inner = new ProtoWriter().varint(1, -7).fixed32(2, 1.5f).bytes(3, big).string(4, "ünïcode");
        ProtoWriter outer = new ProtoWriter().varint(1, Long.MAX_VALUE).message(7, inner).varint(2, 3);
        byte[] bytes = outer.toByteArray();
        assertEquals(bytes.length, outer.size());
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        outer.writeTo(streamed);
        assertArrayEquals(bytes, streamed.toByteArray());

        ProtoReader r = new ProtoReader(ByteBuffer.wrap(bytes));
        assertTrue(r.next());
        assertEquals(1, r.field());
        assertEquals(Long.MAX_VALUE, r.varint());
        assertTrue(r.next());
        assertEquals(7, r.field());
        ProtoReader in = new ProtoReader(r.bytes());
        List<Long> ints = new ArrayList<>();
        assertTrue(in.next());
        in.int64s(ints);
        assertEquals(List.of(-7L), ints);
        assertTrue(in.next());
        assertEquals(1.5f, in.fixed32Float());
        assertTrue(in.next());
        ByteBuffer b = in.bytes();
        byte[] back = new byte[b.remaining()];
        b.get(back);
        assertArrayEquals(big, back);
        assertTrue(in.next());
        assertEquals("ünïcode", in.string());
        assertFalse(in.next());
        assertTrue(r.next());
        assertEquals(3, r.varint());
        assertFalse(r.next());
    }
}
