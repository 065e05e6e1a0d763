package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.train.pipeline.RunSpec;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The main job trains with gradient checkpointing unless told not to (it then stays within 2 GB of
 * memory; docs/BENCHMARKS.md, Memory), and is otherwise the run specification's defaults.
 */
class MainJobCommandTest {

    private static RunSpec parse(String... args) {
        MainJobCommand command = new MainJobCommand();
        new CommandLine(command).parseArgs(args);
        return command.spec();
    }

    @Test
    void gradientCheckpointingIsOnUnlessSwitchedOff() {
        assertTrue(parse().training().gradientCheckpointing());
        assertTrue(parse("--gradient-checkpointing").training().gradientCheckpointing());
        assertFalse(parse("--no-gradient-checkpointing").training().gradientCheckpointing());
    }

    @Test
    void everythingElseIsTheRunSpecificationsDefaults() {
        RunSpec main = parse("--no-gradient-checkpointing");
        assertEquals(RunSpec.defaults(RunSpec.DEFAULT_OUTPUT).toTree(), main.toTree());
        assertEquals("2g", parse("--max-memory", "2g").training().maxMemory());
    }
}
