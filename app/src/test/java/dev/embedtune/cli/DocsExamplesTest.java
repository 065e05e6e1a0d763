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

    /** run --print-config prints every key of the effective record, and what it prints reads back to the same record. */
    @Test
    void printConfigPrintsTheEffectiveRecord() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        picocli.CommandLine cli = Main.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        assertEquals(0, cli.execute("run", "--config", example("wordnet-labelled.yaml").toString(), "--print-config", "--overwrite"),
                err.toString());
        com.fasterxml.jackson.databind.JsonNode printed = new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(out.toString());
        for (String key : RunSpec.KEYS) {
            assertTrue(printed.has(key), key + " in\n" + out);
        }
        assertEquals("online-contrastive", printed.get("loss").asText());
        assertTrue(printed.get("overwrite_output_dir").asBoolean(), "--overwrite is the key overwrite_output_dir");
        assertEquals(2.0e-4, printed.get("learning_rate").asDouble());
        RunSpec read = SettingsFile.readSpec(example("wordnet-labelled.yaml"), RunSpec.defaults(RunSpec.DEFAULT_OUTPUT), w -> { });
        assertEquals(read.withOverrides(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("overwrite_output_dir", true), "test", w -> { }), RunSpec.fromTree(printed, "printed", w -> { }));
    }

    /** Any run-spec key is a hyperparameter: gradient_accumulation_steps in a space reaches the trial's spec. */
    @Test
    void hpoSpacesSearchAnyRunSpecKey() throws IOException {
        Path space = Files.createTempFile("space", ".yaml");
        Files.writeString(space, """
                budget: {unit: steps, min: 1, max: 4}
                parameters:
                  gradient_accumulation_steps: {choices: [2, 4]}
                  warmup_ratio: {uniform: [0.0, 0.2]}
                """);
        StudySpec spec = StudySpec.read(space);
        RunSpec base = RunSpec.defaults(Path.of("work"));
        List<String> warnings = new ArrayList<>();
        TrainingObjective.check(spec, base, warnings::add);
        assertEquals(List.of(), warnings);
        RunSpec trial = base.withOverrides(spec.space().sample(new java.util.SplittableRandom(1)).toJson(), "trial", w -> { });
        assertTrue(List.of(2, 4).contains(trial.training().gradientAccumulationSteps()), trial.training().toString());
        assertTrue(trial.training().warmupRatio() >= 0 && trial.training().warmupRatio() <= 0.2, trial.training().toString());
        Files.writeString(space, "budget: {unit: steps, min: 1, max: 4}\nparameters:\n  output_dir: {choices: [a, b]}\n");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrainingObjective.check(StudySpec.read(space), base, w -> { }));
        assertTrue(e.getMessage().contains("output_dir, which each trial sets itself"), e.getMessage());
    }
}
