package dev.embedtune.model.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint split over several safetensors files, described by
 * {@code model.safetensors.index.json}:
 * <pre>{ "metadata": { "total_size": … }, "weight_map": { "tensor name": "shard file name", … } }</pre>
 * Every shard named in the map is opened (and validated) up front, and every mapped tensor must
 * be in its shard.
 */
public final class ShardedSafetensors implements TensorSource {

    private final Path index;
    private final Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
    private final List<SafetensorsFile> shards = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private ShardedSafetensors(Path index) {
        this.index = index;
    }

    public static ShardedSafetensors open(Path indexJson) throws IOException {
        ShardedSafetensors s = new ShardedSafetensors(indexJson);
        try {
            s.load();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void load() throws IOException {
        if (!Files.isRegularFile(index)) {
            throw new SafetensorsException(index, "no such file");
        }
        JsonNode root;
        try {
            root = SafetensorsHeader.JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new SafetensorsException(index, "not valid JSON: " + e.getMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsException(index, "missing object \"weight_map\"");
        }
        JsonNode meta = root.get("metadata");
        if (meta != null && meta.isObject()) {
            meta.fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
        }
        Map<String, SafetensorsFile> byShardName = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(index, "weight_map." + e.getKey() + " should name a shard file, found " + e.getValue());
            }
            String shardName = e.getValue().textValue();
            SafetensorsFile shard = byShardName.get(shardName);
            if (shard == null) {
                Path shardPath = index.resolveSibling(shardName);
                if (!Files.isRegularFile(shardPath)) {
                    throw new SafetensorsException(index, "weight_map names shard " + shardName
                            + " (for tensor '" + e.getKey() + "'), which does not exist at " + shardPath);
                }
                shard = SafetensorsFile.open(shardPath);
                byShardName.put(shardName, shard);
                shards.add(shard);
            }
            if (!shard.contains(e.getKey())) {
                throw new SafetensorsException(index, "tensor '" + e.getKey() + "' is mapped to " + shardName
                        + ", which does not contain it");
            }
            shardOf.put(e.getKey(), shard);
        }
    }

    private SafetensorsFile shard(String name) throws SafetensorsException {
        SafetensorsFile f = shardOf.get(name);
        if (f == null) {
            throw new SafetensorsException(index, "tensor '" + name + "' is not in the weight_map");
        }
        return f;
    }

    @Override
    public List<String> names() {
        return List.copyOf(shardOf.keySet());
    }

    @Override
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        return shard(name).info(name);
    }

    @Override
    public Path file(String name) throws SafetensorsException {
        return shard(name).path();
    }

    @Override
    public float[] getFloats(String name) throws IOException {
        return shard(name).getFloats(name);
    }

    @Override
    public ByteBuffer getRaw(String name) throws IOException {
        return shard(name).getRaw(name);
    }

    /** The index's {@code metadata} (e.g. {@code total_size}), as strings. */
    @Override
    public Map<String, String> metadata() {
        return Map.copyOf(metadata);
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
