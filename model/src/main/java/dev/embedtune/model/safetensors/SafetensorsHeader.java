package dev.embedtune.model.safetensors;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file. Validation follows the reference
 * implementation (huggingface/safetensors): the header is a JSON object; each tensor has a known
 * dtype, a shape of non-negative integers and {@code data_offsets [begin, end]} with
 * {@code begin <= end}; {@code end - begin} equals the element count times the dtype's size; the
 * tensors, sorted by offset, tile the data section exactly (no gap, no overlap, nothing left over).
 */
record SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata) {

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    static SafetensorsHeader parse(Path file, byte[] headerBytes, long dataLength) throws SafetensorsException {
        JsonNode root;
        try {
            root = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonParseException e) {
            throw new SafetensorsException(file, "header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SafetensorsException(file, "header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof ObjectNode object)) {
            throw new SafetensorsException(file, "header should be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                tensors.add(readTensor(file, e.getKey(), e.getValue()));
            }
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        checkTiling(file, tensors, dataLength);
        return new SafetensorsHeader(List.copyOf(tensors), Map.copyOf(metadata));
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) throws SafetensorsException {
        if (!node.isObject()) {
            throw new SafetensorsException(file, "__metadata__ should be an object of strings, found " + node.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(file, "__metadata__." + e.getKey()
                        + " should be a string, found " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readTensor(Path file, String name, JsonNode node) throws SafetensorsException {
        if (!node.isObject()) {
            throw SafetensorsException.tensor(file, name, "entry should be an object with dtype, shape and data_offsets, found " + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw SafetensorsException.tensor(file, name, "missing or non-string \"dtype\"");
        }
        DType dtype;
        try {
            dtype = DType.parse(dtypeNode.textValue());
        } catch (IllegalArgumentException e) {
            throw SafetensorsException.tensor(file, name, e.getMessage());
        }
        long[] shape = longs(file, name, node.get("shape"), "shape", -1);
        long[] offsets = longs(file, name, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end) {
            throw SafetensorsException.tensor(file, name, "data_offsets [" + begin + ", " + end + "] end before begin");
        }
        long expected;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            expected = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw SafetensorsException.tensor(file, name, "shape " + java.util.Arrays.toString(shape) + " overflows 64 bits");
        }
        if (end - begin != expected) {
            throw SafetensorsException.tensor(file, name, "shape " + java.util.Arrays.toString(shape) + " × " + dtype
                    + " is " + expected + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] longs(Path file, String name, JsonNode node, String field, int length) throws SafetensorsException {
        if (node == null || !node.isArray()) {
            throw SafetensorsException.tensor(file, name, "missing or non-array \"" + field + "\"");
        }
        if (length >= 0 && node.size() != length) {
            throw SafetensorsException.tensor(file, name, "\"" + field + "\" should have " + length + " values, found " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw SafetensorsException.tensor(file, name, "\"" + field + "\"[" + i + "] should be a non-negative integer, found " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void checkTiling(Path file, List<TensorInfo> sorted, long dataLength) throws SafetensorsException {
        long position = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() < position) {
                throw SafetensorsException.tensor(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] overlap the previous tensor, which ends at " + position);
            }
            if (t.begin() > position) {
                throw SafetensorsException.tensor(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] leave a gap: the previous tensor ends at " + position);
            }
            position = t.end();
        }
        if (position != dataLength) {
            throw new SafetensorsException(file, position > dataLength
                    ? "tensors need " + position + " bytes of data but the file holds " + dataLength + " (truncated?)"
                    : "the data section holds " + dataLength + " bytes but the tensors cover only " + position);
        }
    }
}
