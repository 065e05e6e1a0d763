package dev.embedtune.bench.suite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bench-suite} and {@code bench-compare}: the benchmark suite's command line. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run embedtune's benchmark suite and compare result files across machines.",
        subcommands = {BenchCli.Run.class, BenchCli.Compare.class, CommandLine.HelpCommand.class})
public final class BenchCli implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCli()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run the JMH suite and write one JSON result file tagged with this machine.")
    static final class Run implements Callable<Integer> {
        @Option(names = "--mode", defaultValue = "quick",
                description = "quick (smoke run, under 2 minutes) or full. Default: ${DEFAULT-VALUE}")
        String mode;

        @Option(names = "--output", description = "Result file. Default: bench/results/<machine>-<mode>.json")
        Path output;

        @Option(names = "--threads", defaultValue = "0",
                description = "JMH threads calling each benchmark (0 = JMH's default of 1)")
        int threads;

        @Option(names = "--peer-threads", defaultValue = "-1",
                description = "torch threads of the PyTorch peers; 0 runs no peer. Default: the number of cores")
        int peerThreads;

        @Parameters(arity = "0..*", paramLabel = "REGEX",
                description = "Benchmarks to run (JMH include patterns); all when none given")
        List<String> includes = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            SuiteRunner.Mode m = switch (mode) {
                case "quick" -> SuiteRunner.Mode.QUICK;
                case "full" -> SuiteRunner.Mode.FULL;
                default -> throw new CommandLine.ParameterException(new CommandLine(this),
                        "--mode must be quick or full, got " + mode);
            };
            ResultFile result = SuiteRunner.run(m, includes, threads,
                    peerThreads >= 0 ? peerThreads : Runtime.getRuntime().availableProcessors());
            Path file = output != null ? output : Path.of("bench", "results",
                    String.valueOf(result.machine().get("label")).replaceAll("[^A-Za-z0-9]+", "-")
                            + "-" + mode + ".json");
            result.write(file);
            System.out.println("wrote " + file + " (" + result.benchmarks().size() + " benchmarks, "
                    + result.peers().size() + " peers)");
            return 0;
        }
    }

    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = "Merge result files into one Markdown table (throughput and ratio to the first file) and a PNG bar chart.")
    static final class Compare implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE", description = "Result files; the first is the baseline")
        List<Path> files;

        @Option(names = "--markdown", description = "Also write the table to this file")
        Path markdown;

        @Option(names = "--chart", defaultValue = "bench-compare.png",
                description = "PNG bar chart. Default: ${DEFAULT-VALUE}")
        Path chart;

        @Override
        public Integer call() throws Exception {
            Comparison comparison = Comparison.of(files);
            StringBuilder all = new StringBuilder(comparison.markdown());
            for (Path f : files) {
                all.append("\nShare of the BLAS ceiling in ").append(f.getFileName()).append(" (FLOP formulas: Mfu.java):\n")
                        .append(Mfu.markdown(ResultFile.read(f)));
            }
            String table = all.toString();
            System.out.print(table);
            if (markdown != null) {
                Files.writeString(markdown, table);
            }
            comparison.writeChart(chart);
            System.out.println("chart: " + chart);
            return 0;
        }
    }
}
