package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.app.hpo.StudySpec;
import dev.embedtune.app.hpo.TrainingObjective;
import dev.embedtune.train.pipeline.RunSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The settings files shipped in docs/examples still read: the HPO space (with the old names lora_rank
 * and batch_size, which warn and name the new keys) and the run specifications.
 */
class DocsExamplesTest {

    private static final Path EXAMPLES = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "docs/examples");

    private static Path example(String name) {
        Path p = EXAMPLES.resolve(name);
        if (!Files.exists(p)) {
            p = Path.of("..", "docs", "examples", name);   // run from the module directory
        }
        return p;
    }

    @Test
    void theHpoSpaceReadsWithWarningsNamingTheNewKeys() throws IOException {
        StudySpec spec = StudySpec.read(example("hpo-jargon.yaml"));
        List<String> warnings = new ArrayList<>();
        TrainingObjective.check(spec, RunSpec.defaults(Path.of("work")), warnings::add);
        assertTrue(warnings.stream().anyMatch(w -> w.contains("'lora_rank' is deprecated; use 'lora_r'")), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("'batch_size' is deprecated; use 'per_device_train_batch_size'")),
                warnings.toString());
    }

    @Test
    void theRunSpecificationsRead() throws IOException {
        List<String> warnings = new ArrayList<>();
        RunSpec s = SettingsFile.readSpec(example("wordnet-labelled.yaml"), RunSpec.defaults(RunSpec.DEFAULT_OUTPUT), warnings::add);
        assertEquals("online-contrastive", s.loss());
        assertEquals(List.of(), warnings);
    }
}
