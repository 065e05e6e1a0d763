package dev.embedtune.app.hpo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.embedtune.model.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files of a study and the lock that orders changes to them:
 * <pre>
 * DIR/study.json          the {@link StudySpec}, written once
 * DIR/study.lock          empty; held with FileChannel.lock() while changing anything below
 * DIR/trials/000007.json  a finished trial ({@link TrialRecord}), written once
 * DIR/running/000008.json a claimed, unfinished trial ({@link RunningMarker})
 * DIR/report/             report.md, report.json, *.png ({@link StudyReport})
 * </pre>
 * Every file is written to a temporary name in its directory and renamed into place, so a reader
 * (which takes no lock) sees a whole old file or a whole new one, never a part. Temporary names start
 * with a dot and are ignored when listing.
 */
final class StudyDirectory {

    private static final Pattern ID_FILE = Pattern.compile("(\\d+)\\.json");

    /**
     * One lock per directory within this JVM: a file lock is held by the whole process, so threads
     * must be ordered among themselves before taking it (and a second FileChannel.lock() from the same
     * JVM would throw OverlappingFileLockException).
     */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    final Path root;
    final Path spec;
    final Path trials;
    final Path running;
    final Path report;
    private final Path lockFile;
    private final ReentrantLock jvmLock;

    StudyDirectory(Path root) throws IOException {
        Files.createDirectories(root);
        this.root = root.toRealPath();
        this.spec = this.root.resolve("study.json");
        this.trials = this.root.resolve("trials");
        this.running = this.root.resolve("running");
        this.report = this.root.resolve("report");
        this.lockFile = this.root.resolve("study.lock");
        Files.createDirectories(trials);
        Files.createDirectories(running);
        this.jvmLock = JVM_LOCKS.computeIfAbsent(this.root, p -> new ReentrantLock());
    }

    /** An action run while holding the study lock. */
    interface Locked<T> {
        T run() throws IOException;
    }

    /** Runs {@code action} holding the study lock (this JVM's threads first, then other processes). */
    <T> T locked(Locked<T> action) throws IOException {
        jvmLock.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            return action.run();
        } finally {
            jvmLock.unlock();
        }
    }

    Path trialFile(int id) {
        return trials.resolve(String.format("%06d.json", id));
    }

    Path markerFile(int id) {
        return running.resolve(String.format("%06d.json", id));
    }

    /** The ids of the {@code NNNNNN.json} files in {@code dir}, ascending. */
    static TreeSet<Integer> ids(Path dir) throws IOException {
        TreeSet<Integer> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> {
                Matcher m = ID_FILE.matcher(f.getFileName().toString());
                if (m.matches()) {
                    ids.add(Integer.parseInt(m.group(1)));
                }
            });
        }
        return ids;
    }

    static void writeJson(Path file, JsonNode node) throws IOException {
        AtomicFiles.write(file, SearchSpace.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
    }

    /** Reads a JSON file, or null if it does not exist (a marker deleted between listing and reading). */
    static JsonNode readJsonIfExists(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            return SearchSpace.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SpaceFormatException(file.toString(), "(file)", "not valid JSON: " + e.getOriginalMessage());
        }
    }

    static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
