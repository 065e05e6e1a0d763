package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.train.Warnings;
import dev.embedtune.train.pipeline.RunSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 items 5 and 11 (settings files): an empty file (or one of comments only) is an error that
 * says how to ask for the defaults; {@code {}} takes every default and says so; a key given twice in
 * one mapping is a warning naming the line (the last value wins, as YAML readers do).
 */
class SettingsFileTest {

    @TempDir
    Path tmp;

    @Test
    void anEmptyFileIsAnErrorAndAnEmptyObjectMeansEveryDefault() throws IOException {
        for (String text : List.of("", "# only a comment\n", "\n\n")) {
            Path f = tmp.resolve("empty.yaml");
            Files.writeString(f, text);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SettingsFile.readSpec(f, RunSpec.defaults(tmp), w -> { }));
            assertEquals(f + ": the config file is empty; write the settings it should change (e.g. learning_rate: 1.0e-4),"
                    + " or {} to take every default on purpose", e.getMessage());
        }
        Path f = tmp.resolve("defaults.yaml");
        Files.writeString(f, "{}\n");
        List<String> warnings = new ArrayList<>();
        RunSpec spec;
        try (Warnings.Route r = Warnings.routeTo(warnings::add)) {
            spec = SettingsFile.readSpec(f, RunSpec.defaults(tmp), w -> { });
        }
        assertEquals(RunSpec.defaults(tmp), spec);
        assertEquals(List.of(f + ": {}, no settings: every setting takes its default"), warnings);
    }

    @Test
    void aKeyGivenTwiceIsAWarningNamingItsLine() throws IOException {
        Path f = tmp.resolve("twice.yaml");
        Files.writeString(f, "learning_rate: 1.0e-4\nlora_r: 4\nlearning_rate: 2.0e-4\nmining:\n  enabled: false\n  enabled: true\n");
        List<String> warnings = new ArrayList<>();
        RunSpec spec;
        try (Warnings.Route r = Warnings.routeTo(warnings::add)) {
            spec = SettingsFile.readSpec(f, RunSpec.defaults(tmp), w -> { });
        }
        assertEquals(2.0e-4, spec.training().learningRate(), "the last value wins");
        assertEquals(List.of(f + ":3: key 'learning_rate' is given twice in the same mapping; the last value is used",
                f + ":6: key 'enabled' is given twice in the same mapping; the last value is used"), warnings);
        assertTrue(spec.mining().enabled());
    }
}
