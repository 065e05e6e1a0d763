package dev.embedtune.model.safetensors;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The element types of the safetensors format that embedtune reads and writes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether {@link TensorSource#getFloats} can convert this type. */
    public boolean isNumeric() {
        return this != BOOL;
    }

    /**
     * The type named in a header's {@code "dtype"} field.
     *
     * @throws IllegalArgumentException naming the type and listing the supported ones
     */
    public static DType parse(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype \"" + name + "\"; supported: "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
