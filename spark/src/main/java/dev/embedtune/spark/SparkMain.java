package dev.embedtune.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The spark-submit entry point:
 * {@code spark-submit --class dev.embedtune.spark.SparkMain embedtune-spark.jar <command> …}, each command
 * taking the options of the local CLI's command of the same name. {@code --master} (before the command)
 * runs without spark-submit, e.g. {@code bin/embedtune-spark --master local[2] embed …}.
 */
@Command(name = "embedtune-spark", mixinStandardHelpOptions = true, version = "embedtune-spark 0.1.0",
        description = "embedtune on Apache Spark: the local CLI's commands, distributed over executors.",
        subcommands = {CommandLine.HelpCommand.class, SparkEmbedCommand.class, SparkMineNegativesCommand.class,
                SparkEvaluateCommand.class, SparkFinetuneCommand.class, SparkRunCommand.class})
public final class SparkMain implements Runnable {

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master (local[2], spark://host:7077, yarn, k8s://…); default: what spark-submit sets")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting, repeatable (as spark-submit --conf)")
    Map<String, String> conf = new LinkedHashMap<>();

    private SparkSession session;

    public static void main(String[] args) {
        int code = dev.embedtune.cli.Main.configure(new CommandLine(new SparkMain())).execute(args);
        System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The session of this run, created on first use (spark-submit's settings, then --master and --conf). */
    SparkSession session() {
        if (session == null) {
            SparkSession.Builder b = SparkSession.builder().appName("embedtune");
            if (master != null) {
                b.master(master);
            }
            conf.forEach(b::config);
            if (master != null && master.startsWith("local")) {
                b.config("spark.ui.enabled", "false");
            }
            session = b.getOrCreate();
            // Spark's INFO lines would bury the command's own output; spark-submit's log4j2 config still applies
            if (System.getProperty("log4j2.configurationFile") == null) {
                session.sparkContext().setLogLevel("WARN");
            }
        }
        return session;
    }

    /** The executors' backend: micro-batches and embedding calls in {@code partitions} tasks (0: Spark's default parallelism). */
    SparkBackend backend(int partitions) {
        return new SparkBackend(() -> JavaSparkContext.fromSparkContext(session().sparkContext()), partitions);
    }

    /**
     * Parses the arguments a Spark command hands on to the local command it runs (a bad option gets
     * picocli's own message); false when they asked for the usage help, which is then printed.
     */
    static boolean parseLocal(Object localCommand, List<String> args, CommandSpec spec) {
        CommandLine parser = new CommandLine(localCommand).setOut(spec.commandLine().getOut()).setErr(spec.commandLine().getErr());
        parser.parseArgs(args.toArray(String[]::new));
        if (parser.isUsageHelpRequested()) {
            parser.usage(spec.commandLine().getOut());
            return false;
        }
        return true;
    }
}
