package dev.embedtune.train.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code <output_dir>/metrics.jsonl}: one JSON object per line, in the order HF's
 * {@code state.log_history} holds them:
 *
 * <pre>
 * {"step":10,"epoch":0.25,"loss":1.234,"learning_rate":4.5E-5,"grad_norm":0.87}     every logging_steps
 * {"step":20,"epoch":0.5,"eval_cosine_ndcg@10":0.61,…}                               every eval_steps
 * {"step":40,"epoch":1.0,"train_runtime":12.3,"train_steps_per_second":3.2,…}        once, at the end
 * </pre>
 *
 * Lines are appended as they happen, so a killed run leaves everything up to the kill. A checkpoint
 * records how many lines existed when it was written; resuming from it cuts the file back to that
 * many lines (rewriting it atomically), so the file ends up as an uninterrupted run's.
 */
public final class MetricsLog {

    public static final String FILE_NAME = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private int lines;

    private MetricsLog(Path file, int lines) {
        this.file = file;
        this.lines = lines;
    }

    /** A new, empty log in {@code outputDir}, replacing any earlier run's. */
    public static MetricsLog fresh(Path outputDir) throws IOException {
        Path file = outputDir.resolve(FILE_NAME);
        AtomicFiles.write(file, new byte[0]);
        return new MetricsLog(file, 0);
    }

    /**
     * The log of a resumed run, cut back to its first {@code keepLines} lines.
     *
     * @throws IOException naming the file when it holds fewer lines than the checkpoint recorded
     */
    public static MetricsLog resumed(Path outputDir, int keepLines) throws IOException {
        Path file = outputDir.resolve(FILE_NAME);
        List<String> all = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        if (all.size() < keepLines) {
            throw new IOException(file + ": the checkpoint expects " + keepLines + " log lines, the file has " + all.size()
                    + " (was it deleted or edited?)");
        }
        List<String> kept = new ArrayList<>(all.subList(0, keepLines));
        StringBuilder sb = new StringBuilder();
        kept.forEach(l -> sb.append(l).append('\n'));
        AtomicFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        return new MetricsLog(file, keepLines);
    }

    /** Appends one line. Non-finite numbers are written as null, since JSON has no NaN. */
    public void append(ObjectNode line) throws IOException {
        line.fields().forEachRemaining(e -> {
            if (e.getValue().isNumber() && !Double.isFinite(e.getValue().doubleValue())) {
                line.putNull(e.getKey());
            }
        });
        byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        lines++;
    }

    /** Lines written so far. */
    public int lineCount() {
        return lines;
    }

    public Path file() {
        return file;
    }
}
