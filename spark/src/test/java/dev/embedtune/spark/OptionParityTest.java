package dev.embedtune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.embedtune.cli.EmbedCommand;
import dev.embedtune.cli.EvaluateCommand;
import dev.embedtune.cli.MineNegativesCommand;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The Spark commands take the local commands' options (no second dialect): every option of the local
 * command exists on the Spark one with the same name. The Spark commands add --partitions (and embed
 * --quantization). finetune and run need no such check: the local commands themselves parse their options.
 */
class OptionParityTest {

    private static Set<String> options(Object command) {
        Set<String> names = new TreeSet<>();
        new CommandLine(command).getCommandSpec().options().forEach(o -> names.addAll(Set.of(o.names())));
        return names;
    }

    private static Set<String> missing(Object local, Object spark) {
        Set<String> m = new TreeSet<>(options(local));
        m.removeAll(options(spark));
        return m;
    }

    @Test
    void sparkCommandsTakeTheLocalOptions() {
        assertEquals(Set.of(), missing(new EmbedCommand(), new SparkEmbedCommand()), "embed");
        assertEquals(Set.of(), missing(new MineNegativesCommand(), new SparkMineNegativesCommand()), "mine-negatives");
        assertEquals(Set.of(), missing(new EvaluateCommand(), new SparkEvaluateCommand()), "evaluate");
    }
}
