package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** save_total_limit as HF's _rotate_checkpoints: oldest first, never the best, limit 1 keeps the newest too. */
class CheckpointRotationTest {

    @TempDir
    Path out;

    private void make(int... steps) throws Exception {
        for (int s : steps) {
            Path d = Files.createDirectories(out.resolve("checkpoint-" + s));
            Files.writeString(d.resolve(Checkpoints.STATE_JSON), "{}");
        }
    }

    private List<String> remaining() throws Exception {
        return Checkpoints.sorted(out).stream().map(p -> p.getFileName().toString()).toList();
    }

    @Test
    void keepsTheNewestAndTheBest() throws Exception {
        make(10, 20, 30, 40, 50);
        Checkpoints.rotate(out, 2, "checkpoint-20");
        assertEquals(List.of("checkpoint-20", "checkpoint-50"), remaining());
    }

    @Test
    void withoutBestKeepsTheNewestInStepOrderNotNameOrder() throws Exception {
        make(5, 10, 100, 20);
        Checkpoints.rotate(out, 3, null);
        assertEquals(List.of("checkpoint-10", "checkpoint-20", "checkpoint-100"), remaining());
    }

    @Test
    void limitOneStillKeepsTheNewestBesidesTheBest() throws Exception {
        make(1, 2, 3);
        Checkpoints.rotate(out, 1, "checkpoint-1");
        assertEquals(List.of("checkpoint-1", "checkpoint-3"), remaining());
        Checkpoints.rotate(out, 1, "checkpoint-3");
        assertEquals(List.of("checkpoint-3"), remaining());
    }

    @Test
    void incompleteDirectoriesAreNeitherCheckpointsNorLatest() throws Exception {
        make(4);
        Files.createDirectories(out.resolve("checkpoint-8.tmp"));
        Files.createDirectories(out.resolve("checkpoint-12"));          // no trainer_state.json: half-copied by hand
        assertEquals(out.resolve("checkpoint-4"), Checkpoints.latest(out));
        Checkpoints.deleteIncomplete(out);
        assertEquals(false, Files.exists(out.resolve("checkpoint-8.tmp")));
    }
}
