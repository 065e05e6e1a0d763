package dev.embedtune.train.trainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.Warnings;
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
 * {@code .tmp} directories of a killed run are deleted at the next start. {@code trainer_state.json},
 * written last, records the SHA-256 of {@code trainer_state.safetensors}: a checkpoint damaged later
 * is named when read, and {@link #loadLatest} falls back to the one before it.
 */
public final class Checkpoints {

    public static final String STATE_JSON = "trainer_state.json";
    public static final String STATE_ARRAYS = "trainer_state.safetensors";
    /** The key in {@code trainer_state.json} of the arrays file's SHA-256. */
    static final String ARRAYS_SHA256 = "trainer_state_safetensors_sha256";
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
     * What a checkpoint write does before each of its parts ({@code "adapter"}, {@code "trainer_state.safetensors"},
     * {@code "trainer_state.json"}, {@code "rename"}), with the path about to be written. Nothing in
     * production; tests put a kill or a full disk there ({@link #writeHook}).
     */
    @FunctionalInterface
    interface WriteHook {
        void before(String part, Path path) throws IOException;
    }

    /** The fault-injection seam of the kill/resume and disk-full tests; a no-op otherwise. */
    static volatile WriteHook writeHook = (part, path) -> { };

    /**
     * Writes a complete checkpoint for {@code state.globalStep()} and renames it into place,
     * replacing a checkpoint of the same step (one left by an earlier, interrupted run). The JSON
     * holds the SHA-256 of the arrays file, so a damaged checkpoint is found when it is read.
     *
     * @return the checkpoint directory
     * @throws IOException naming the file, and on a full disk the bytes a checkpoint needs and those
     *     free; the partial checkpoint is removed and earlier checkpoints are untouched
     */
    public static Path save(Path outputDir, TrainableModel model, AdamW optimizer, TrainerState state) throws IOException {
        Path dir = outputDir.resolve(name(state.globalStep()));
        Path tmp = outputDir.resolve(name(state.globalStep()) + ".tmp");
        Path writing = tmp;
        try {
            AtomicFiles.deleteTree(tmp);
            Files.createDirectories(tmp);
            writeHook.before("adapter", tmp);
            model.saveTrained(tmp);
            SafetensorsWriter arrays = new SafetensorsWriter().metadata("format", Integer.toString(TrainerState.FORMAT));
            model.parameters().forEach((n, a) -> add(arrays, "parameters/" + n, a));
            optimizer.firstMoments().forEach((n, a) -> add(arrays, "exp_avg/" + n, a));
            optimizer.secondMoments().forEach((n, a) -> add(arrays, "exp_avg_sq/" + n, a));
            writing = tmp.resolve(STATE_ARRAYS);
            writeHook.before(STATE_ARRAYS, writing);
            arrays.write(writing);
            ObjectNode json = state.toJson();
            json.put(ARRAYS_SHA256, sha256(writing));
            writing = tmp.resolve(STATE_JSON);
            writeHook.before(STATE_JSON, writing);
            AtomicFiles.write(writing, JSON.writeValueAsString(json).getBytes(StandardCharsets.UTF_8));
            writing = dir;
            writeHook.before("rename", dir);
            AtomicFiles.deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            return dir;
        } catch (IOException e) {
            if (!DiskFull.is(e)) {
                throw e;
            }
            AtomicFiles.deleteTree(tmp);   // give back what the partial checkpoint took
            throw DiskFull.checkpoint(e, writing, state.globalStep(), bytesNeeded(model, optimizer), sorted(outputDir));
        }
    }

    /** What one checkpoint takes on disk, about: the arrays file plus the adapter files (at most one more copy of the parameters). */
    static long bytesNeeded(TrainableModel model, AdamW optimizer) {
        long bytes = 64 * 1024;   // headers, JSON, configs
        for (Map<String, INDArray> group : List.of(model.parameters(), model.parameters(), optimizer.firstMoments(),
                optimizer.secondMoments())) {
            for (INDArray a : group.values()) {
                bytes += a.length() * a.dataType().width();
            }
        }
        return bytes;
    }

    private static String sha256(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
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
     * @throws IOException naming the file when it is not a complete, undamaged checkpoint (a missing or
     *     unparsable {@code trainer_state.json}, a truncated or altered {@code trainer_state.safetensors})
     */
    public static Checkpoint load(Path dir) throws IOException {
        Path json = dir.resolve(STATE_JSON);
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "not a complete checkpoint (no " + STATE_JSON + ")");
        }
        JsonNode tree;
        TrainerState state;
        try {
            tree = JSON.readTree(json.toFile());
            state = TrainerState.fromJson(tree, json.toString());
        } catch (JsonProcessingException e) {
            throw new IOException(json + ": damaged, not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ")", e);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException(e.getMessage() != null && e.getMessage().contains(json.toString()) ? e.getMessage()
                    : json + ": damaged (" + e + ")", e);
        }
        Path arraysFile = dir.resolve(STATE_ARRAYS);
        JsonNode expected = tree.get(ARRAYS_SHA256);
        if (expected != null && Files.isRegularFile(arraysFile) && !expected.asText().equals(sha256(arraysFile))) {
            throw new IOException(arraysFile + ": damaged: its SHA-256 is not the one " + STATE_JSON + " recorded when it was"
                    + " written (truncated or altered since)");
        }
        Map<String, INDArray> params = new LinkedHashMap<>();
        Map<String, INDArray> m = new LinkedHashMap<>();
        Map<String, INDArray> v = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(arraysFile)) {
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

    /**
     * The newest checkpoint in {@code outputDir} that reads back whole. A damaged newer one (a file
     * truncated or altered after it was written) is skipped with a warning naming the file and the
     * checkpoint used instead.
     *
     * @throws NoSuchFileException when {@code outputDir} holds no checkpoint
     * @throws IOException naming every damaged checkpoint when none reads back
     */
    public static Checkpoint loadLatest(Path outputDir) throws IOException {
        if (sorted(outputDir).isEmpty()) {
            latest(outputDir);   // throws, with its message
        }
        List<Path> all;   // every checkpoint-<step> directory: one whose trainer_state.json went missing is named too
        try (Stream<Path> s = Files.list(outputDir)) {
            all = s.filter(p -> stepOf(p) >= 0 && Files.isDirectory(p)).sorted(Comparator.comparingInt(Checkpoints::stepOf)).toList();
        }
        List<String> damaged = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                Checkpoint c = load(all.get(i));
                if (!damaged.isEmpty()) {
                    Warnings.warn(String.join("; ", damaged) + ". Resuming from the previous complete checkpoint, " + c.dir()
                            + " (step " + c.state().globalStep() + ")");
                }
                return c;
            } catch (IOException e) {
                damaged.add(e.getMessage());
            }
        }
        throw new IOException("no checkpoint in " + outputDir + " reads back whole: " + String.join("; ", damaged)
                + "; start afresh without --resume");
    }

    private static INDArray read(SafetensorsFile f, TensorInfo t) throws IOException {
        ByteBuffer raw = f.getRaw(t.name());
        int n = (int) t.numel();
        return switch (t.dtype()) {
            case F64 -> {
                double[] d = new double[n];
                raw.asDoubleBuffer().get(d);
                dev.embedtune.model.FiniteValues.requireFinite(d, f.path(), t.name());
                yield Nd4j.create(d, t.shape(), 'c');
            }
            case F32 -> {
                float[] d = new float[n];
                raw.asFloatBuffer().get(d);
                dev.embedtune.model.FiniteValues.requireFinite(d, f.path(), t.name());
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
