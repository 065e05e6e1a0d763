package dev.embedtune.cli;

import dev.embedtune.quant.NativeRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code embedtune} command line. */
@Command(name = "embedtune", mixinStandardHelpOptions = true, version = "embedtune 0.1.0",
        description = "Fine-tune text-embedding models on the JVM.",
        subcommands = {CommandLine.HelpCommand.class, MainJobCommand.class, ImportOnnxCommand.class,
                RunCommand.class, EmbedCommand.class, EvaluateCommand.class, FinetuneCommand.class, MineNegativesCommand.class,
                TokenizeCommand.class, HpoCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        NativeRuntime.configure();                    // before ND4J loads: thread waits, BLAS kernels
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
