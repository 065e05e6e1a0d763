package dev.embedtune.cli;

import dev.embedtune.quant.NativeRuntime;
import dev.embedtune.train.Warnings;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Entry point of the {@code embedtune} command line. */
@Command(name = "embedtune", mixinStandardHelpOptions = true, version = "embedtune 0.1.0",
        description = "Fine-tune text-embedding models on the JVM.",
        subcommands = {CommandLine.HelpCommand.class, MainJobCommand.class, ImportOnnxCommand.class, ExportOnnxCommand.class,
                RunCommand.class, EmbedCommand.class, EvaluateCommand.class, FinetuneCommand.class, MineNegativesCommand.class,
                TokenizeCommand.class, HpoCommand.class})
public final class Main implements Runnable {

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On an error, print the Java stack trace too (a bug always prints it).")
    boolean verbose;

    public static void main(String[] args) {
        NativeRuntime.configure();                    // before ND4J loads: thread waits, BLAS kernels
        int exit;
        try {
            exit = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("embedtune: out of memory (" + e.getMessage() + "): give the JVM more (EMBEDTUNE_JAVA_OPTS=-Xmx16g)"
                    + " or use smaller batches (--batch-size) or a shorter --max-length");
            exit = 1;
        }
        System.exit(exit);
    }

    /**
     * The command line as {@code embedtune} runs it: errors reported by {@link ErrorHandler} (one line
     * for a user's error), warnings ({@link Warnings}) as {@code warning: …} lines on its error stream.
     */
    public static CommandLine commandLine() {
        return configure(new CommandLine(new Main()));
    }

    /**
     * Installs embedtune's error reporting and warning routing on a command line (also the spark
     * module's, whose commands run the same pipeline and throw the same errors).
     */
    public static CommandLine configure(CommandLine cli) {
        ErrorHandler errors = new ErrorHandler();
        cli.setExecutionExceptionHandler(errors);
        cli.setParameterExceptionHandler(errors);
        cli.setExecutionStrategy(parsed -> {
            PrintWriter err = cli.getErr();
            try (Warnings.Route route = Warnings.routeTo(m -> {
                err.println("warning: " + m);
                err.flush();
            })) {
                return new CommandLine.RunLast().execute(parsed);
            }
        });
        return cli;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
