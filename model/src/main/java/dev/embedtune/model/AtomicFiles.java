package dev.embedtune.model;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Nothing half-written looks complete: a file is written under a temporary name in its directory
 * and renamed into place; a directory is built beside its target and swapped in.
 *
 * <p>Temporary files and directories get the mode an ordinary write would give them (0666 or 0777
 * less the user's umask, e.g. 0644 and 0755 under umask 022), since they become the result when
 * renamed. {@code Files.createTempFile} and {@code createTempDirectory} would make them 0600 and 0700,
 * unreadable to the group and to other tools' users.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    public static void write(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = newTempFile(dir, "." + file.getFileName());
        try {
            Files.write(tmp, content);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A new empty file {@code <prefix><random>.tmp} in {@code dir} with the umask's mode, to be written and
     * renamed into place (the caller deletes it if that fails).
     */
    public static Path newTempFile(Path dir, String prefix) throws IOException {
        while (true) {
            try {
                return Files.createFile(dir.resolve(prefix + "." + randomSuffix() + ".tmp"));
            } catch (FileAlreadyExistsException taken) {
                // another writer drew the same name: draw again
            }
        }
    }

    /** A new empty directory {@code <prefix><random>} in {@code parent} with the umask's mode. */
    public static Path newTempDirectory(Path parent, String prefix) throws IOException {
        while (true) {
            try {
                return Files.createDirectory(parent.resolve(prefix + randomSuffix()));
            } catch (FileAlreadyExistsException taken) {
                // draw again
            }
        }
    }

    private static String randomSuffix() {
        return Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    }

    /** Moves {@code fresh} to {@code target}, replacing a previous directory only once the new one is in place. */
    public static void replaceDirectory(Path fresh, Path target) throws IOException {
        if (!Files.exists(target)) {
            Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        Path old = newTempDirectory(target.toAbsolutePath().getParent(), "." + target.getFileName() + ".old.");
        Files.delete(old);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /** Deletes a file or a directory with everything in it; nothing when it does not exist. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
