package dev.embedtune.model.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/** Named tensors from a single safetensors file or a sharded checkpoint. */
public interface TensorSource extends AutoCloseable {

    /** Tensor names in the order of the header (by data offset). */
    List<String> names();

    boolean contains(String name);

    /** @throws SafetensorsException naming the tensor and the file(s) when it is absent */
    TensorInfo info(String name) throws SafetensorsException;

    /**
     * The tensor as float32: F32 as stored, F16 and BF16 widened exactly, F64 rounded, integer
     * types converted.
     *
     * @throws SafetensorsException for BOOL tensors, absent tensors and unreadable data
     */
    float[] getFloats(String name) throws IOException;

    /** The file that holds the tensor (the shard, for a sharded checkpoint), for error messages. */
    java.nio.file.Path file(String name) throws SafetensorsException;

    /** A read-only little-endian view of the tensor's bytes (tensors under 2 GiB). */
    ByteBuffer getRaw(String name) throws IOException;

    /** The header's {@code __metadata__} (empty when absent). */
    Map<String, String> metadata();

    @Override
    void close();
}
