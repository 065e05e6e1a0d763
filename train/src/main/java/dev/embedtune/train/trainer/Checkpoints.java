package dev.embedtune.train.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.safetensors.DType;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The checkpoint directories of one output directory. Layout:
 *
 * <pre>
 * &lt;output_dir&gt;/checkpoint-&lt;step&gt;/
 *     …                            whatever TrainableModel.saveTrained writes (for LoRA: PEFT's adapter files)
 *     trainer_state.safetensors    "parameters/&lt;name&gt;", "exp_avg/&lt;name&gt;", "exp_avg_sq/&lt;name&gt;",
 *                                  each in the parameter's own dtype (F32 or F64), bit for bit
 *     trainer_state.json           {@link TrainerState}
 * </pre>
 *
 * A checkpoint is written into {@code checkpoint-<step>.tmp} and then the directory is renamed into
 * place in one atomic move, so a directory named {@code checkpoint-<step>} is always complete; leftover
 * {@code .tmp} directories of a killed run are deleted at the next start.
 */
public final class Checkpoints {

    public static final String STATE_JSON = "trainer_state.json";
    public static final String STATE_ARRAYS = "trainer_state.safetensors";
    private static final String PREFIX = "checkpoint-";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoints() {
    }

    /** {@code checkpoint-<step>}. */
    public static String name(int step) {
        return PREFIX + step;
    }

    /**
     * Writes a complete checkpoint for {@code state.globalStep()} and renames it into place,
     * replacing a checkpoint of the same step (one left by an earlier, interrupted run).
     *
     * @return the checkpoint directory
     */
    public static Path save(Path outputDir, TrainableModel model, AdamW optimizer, TrainerState state) throws IOException {
        Path dir = outputDir.resolve(name(state.globalStep()));
        Path tmp = outputDir.resolve(name(state.globalStep()) + ".tmp");
        AtomicFiles.deleteTree(tmp);
        Files.createDirectories(tmp);
        model.saveTrained(tmp);
        SafetensorsWriter arrays = new SafetensorsWriter().metadata("format", Integer.toString(TrainerState.FORMAT));
        model.parameters().forEach((n, a) -> add(arrays, "parameters/" + n, a));
        optimizer.firstMoments().forEach((n, a) -> add(arrays, "exp_avg/" + n, a));
        optimizer.secondMoments().forEach((n, a) -> add(arrays, "exp_avg_sq/" + n, a));
        arrays.write(tmp.resolve(STATE_ARRAYS));
        AtomicFiles.write(tmp.resolve(STATE_JSON), JSON.writeValueAsString(state.toJson()).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    private static void add(SafetensorsWriter w, String key, INDArray a) {
        INDArray c = a.dup('c');
        if (a.dataType() == DataType.DOUBLE) {
            ByteBuffer b = ByteBuffer.allocate((int) c.length() * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asDoubleBuffer().put(c.data().asDouble(), 0, (int) c.length());
            w.add(key, DType.F64, a.shape(), b);
        } else if (a.dataType() == DataType.FLOAT) {
            ByteBuffer b = ByteBuffer.allocate((int) c.length() * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(c.data().asFloat(), 0, (int) c.length());
            w.add(key, DType.F32, a.shape(), b);
        } else {
            throw new IllegalArgumentException(key + ": checkpoints hold FLOAT or DOUBLE arrays, found " + a.dataType());
        }
    }

    /**
     * Reads a checkpoint directory.
     *
     * @throws IOException naming the directory when it is not a complete checkpoint
     */
    public static Checkpoint load(Path dir) throws IOException {
        Path json = dir.resolve(STATE_JSON);
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "not a complete checkpoint (no " + STATE_JSON + ")");
        }
        TrainerState state = TrainerState.fromJson(JSON.readTree(json.toFile()), json.toString());
        Map<String, INDArray> params = new LinkedHashMap<>();
        Map<String, INDArray> m = new LinkedHashMap<>();
        Map<String, INDArray> v = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(STATE_ARRAYS))) {
            for (TensorInfo t : f.infos()) {
                String key = t.name();
                int slash = key.indexOf('/');
                String group = slash < 0 ? key : key.substring(0, slash);
                Map<String, INDArray> target = switch (group) {
                    case "parameters" -> params;
                    case "exp_avg" -> m;
                    case "exp_avg_sq" -> v;
                    default -> throw new IOException(f.path() + ": unexpected tensor " + key
                            + "; expected parameters/…, exp_avg/… or exp_avg_sq/…");
                };
                target.put(key.substring(slash + 1), read(f, t));
            }
        }
        return new Checkpoint(dir, state, params, m, v);
    }

    private static INDArray read(SafetensorsFile f, TensorInfo t) throws IOException {
        ByteBuffer raw = f.getRaw(t.name());
        int n = (int) t.numel();
        return switch (t.dtype()) {
            case F64 -> {
                double[] d = new double[n];
                raw.asDoubleBuffer().get(d);
                yield Nd4j.create(d, t.shape(), 'c');
            }
            case F32 -> {
                float[] d = new float[n];
                raw.asFloatBuffer().get(d);
                yield Nd4j.create(d, t.shape(), 'c');
            }
            default -> throw new IOException(f.path() + ": tensor " + t.name() + " has dtype " + t.dtype() + ", expected F32 or F64");
        };
    }

    /** The step of a complete checkpoint directory's name, or -1 when the name is not {@code checkpoint-<step>}. */
    static int stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The complete checkpoints in {@code outputDir}, oldest (lowest step) first. */
    public static List<Path> sorted(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> stepOf(p) >= 0 && Files.isRegularFile(p.resolve(STATE_JSON)))
                    .sorted(Comparator.comparingInt(Checkpoints::stepOf))
                    .toList();
        }
    }

    /**
     * The newest complete checkpoint.
     *
     * @throws NoSuchFileException when {@code outputDir} holds none
     */
    public static Path latest(Path outputDir) throws IOException {
        List<Path> all = sorted(outputDir);
        if (all.isEmpty()) {
            throw new NoSuchFileException(outputDir.toString(), null, "no complete checkpoint-<step> directory to resume from");
        }
        return all.get(all.size() - 1);
    }

    /**
     * Deletes the oldest checkpoints beyond {@code limit}, never the best one — HF's
     * {@code _rotate_checkpoints}: the best is moved to the second-to-last place of the sorted list,
     * the first {@code n − limit} are deleted, and a limit of 1 becomes 2 when the best is not the
     * newest (so the newest survives for resuming).
     *
     * @param limit 0 for no limit
     * @param bestCheckpoint the best checkpoint's directory name, or null
     * @return the deleted directories
     */
    public static List<Path> rotate(Path outputDir, int limit, String bestCheckpoint) throws IOException {
        List<Path> order = new ArrayList<>(sorted(outputDir));
        if (limit <= 0 || order.size() <= limit) {
            return List.of();
        }
        int best = -1;
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).getFileName().toString().equals(bestCheckpoint)) {
                best = i;
            }
        }
        if (best >= 0) {
            for (int i = best; i < order.size() - 2; i++) {
                Path t = order.get(i);
                order.set(i, order.get(i + 1));
                order.set(i + 1, t);
            }
        }
        int keep = limit;
        if (limit == 1 && best >= 0 && best != order.size() - 1) {
            keep = 2;
        }
        List<Path> deleted = new ArrayList<>();
        for (int i = 0; i < order.size() - keep; i++) {
            AtomicFiles.deleteTree(order.get(i));
            deleted.add(order.get(i));
        }
        return deleted;
    }

    /** Removes {@code checkpoint-<step>.tmp} directories a killed run left behind. */
    public static void deleteIncomplete(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return;
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+\\.tmp")).toList()) {
                AtomicFiles.deleteTree(p);
            }
        }
    }
}
