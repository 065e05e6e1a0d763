package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    @Test
    void everySubcommandAnswersHelpWithItsUsage() {
        Map<String, CommandLine> subcommands = Main.commandLine().getSubcommands();
        assertFalse(subcommands.isEmpty(), "the CLI registers no subcommand");
        for (String name : subcommands.keySet()) {
            if (name.equals("help")) {
                continue;
            }
            StringWriter out = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setOut(new PrintWriter(out));
            int exit = cli.execute(name, "--help");
            assertEquals(0, exit, name + " --help exit code");
            assertTrue(out.toString().contains("Usage: embedtune " + name),
                    name + " --help printed:\n" + out);
        }
    }

    @Test
    void anUnknownSubcommandIsAUsageError() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(2, cli.execute("no-such-command"));
        assertTrue(err.toString().contains("no-such-command"), err.toString());
    }
}
