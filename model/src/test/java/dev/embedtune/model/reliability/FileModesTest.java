package dev.embedtune.model.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.TinyModel;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 17: what embedtune writes gets the mode an ordinary write gives under the user's
 * umask (0644 files and 0755 folders under umask 022), not the 0600 / 0700 of Java's temp files
 * that were renamed into place.
 */
class FileModesTest {

    @TempDir
    Path dir;

    /** The modes a plain Files.createFile / createDirectory gets here: the umask's. */
    private Set<PosixFilePermission> plainFile, plainDirectory;

    private void learnUmask() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
                "skipped: the file system has no POSIX permissions");
        plainFile = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain-file")));
        plainDirectory = Files.getPosixFilePermissions(Files.createDirectory(dir.resolve("plain-dir")));
    }

    private void assertUmaskModes(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                Set<PosixFilePermission> expected = Files.isDirectory(p) ? plainDirectory : plainFile;
                assertEquals(PosixFilePermissions.toString(expected), PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
                        p + " should have the umask's mode");
            }
        }
    }

    @Test
    void mergedModelAdapterAndAtomicWritesGetTheUmasksMode() throws IOException {
        learnUmask();
        Path minilm = TinyModel.write(dir.resolve("tiny"), 1);
        LoraModel lora = LoraModel.init(ModelDirectory.read(minilm).config(),
                new LoraConfig(2, 4, 0, LoraConfig.BERT_DEFAULT_TARGETS, false), 1);
        Path run = dir.resolve("run");
        LoraMerge.writeMerged(minilm, lora, run.resolve("model"));
        lora.save(run.resolve("adapter"), "sentence-transformers/all-MiniLM-L6-v2");
        AtomicFiles.write(run.resolve("notes.json"), "{}".getBytes());
        new SafetensorsWriter().addFloats("w", new float[] {1}, 1).write(run.resolve("w.safetensors"));
        Files.createDirectories(run.resolve("dirs"));
        Path made = AtomicFiles.newTempDirectory(run.resolve("dirs"), "d");
        Path file = AtomicFiles.newTempFile(made, "f");
        assertTrue(Files.exists(file));
        for (Path p : List.of(minilm, run.resolve("model"), run.resolve("adapter"), run.resolve("notes.json"),
                run.resolve("w.safetensors"), made)) {
            assertUmaskModes(p);
        }
        // under the usual umask 022 that means readable by all, which 0600 was not
        if (plainFile.contains(PosixFilePermission.OTHERS_READ)) {
            assertTrue(Files.getPosixFilePermissions(run.resolve("model/model.safetensors")).contains(PosixFilePermission.OTHERS_READ));
        }
    }
}
