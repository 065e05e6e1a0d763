package dev.embedtune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.mining.Scorer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * What {@code mine-negatives} reads, how it mines and what it writes, whichever front end scores the
 * candidates (a picocli mixin of the local command and of the Spark one): the input pairs, the miner's
 * settings (sentence-transformers' {@code mine_hard_negatives} arguments) and the JSONL rows with their
 * summary line. Each command keeps {@code --method} and {@code --model}, which mean where the scoring runs.
 */
public final class MiningCommandOptions {

    @Option(names = "--data", required = true, description = "JSONL with query, passage, group (and split)")
    Path data;

    @Option(names = "--split", defaultValue = "train", description = "Records of this split (train, test or all; default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--output", required = true, description = "JSONL to write")
    Path output;

    @Option(names = "--range-min", defaultValue = "0") int rangeMin;
    @Option(names = "--range-max") Integer rangeMax;
    @Option(names = "--max-score") Double maxScore;
    @Option(names = "--min-score") Double minScore;
    @Option(names = "--absolute-margin") Double absoluteMargin;
    @Option(names = "--relative-margin") Double relativeMargin;
    @Option(names = "--num-negatives", defaultValue = "3") int numNegatives;
    @Option(names = "--sampling", defaultValue = "top", description = "top or random") String sampling;
    @Option(names = "--format", defaultValue = "triplet", description = "triplet, n-tuple or labeled-pair") String format;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;

    /** Texts per embedding call of dense scoring. */
    public int batchSize() {
        return batchSize;
    }

    /** The miner's settings; a value out of range is a command-line error. */
    public MiningOptions options(CommandSpec spec) {
        try {
            return new MiningOptions(rangeMin, rangeMax, maxScore, minScore, absoluteMargin, relativeMargin,
                    numNegatives, MiningOptions.Sampling.valueOf(sampling.toUpperCase()),
                    MiningOptions.Format.valueOf(format.toUpperCase().replace('-', '_')), seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The (query, passage, group) pairs of {@code --data}'s {@code --split}. */
    public List<HardNegativeMiner.Pair> pairs(CommandSpec spec) throws IOException {
        if (!Files.isRegularFile(data)) {
            throw new ParameterException(spec.commandLine(), "--data " + data + ": no such file");
        }
        try {
            return HardNegativeMiner.pairs(DatasetLoader.load(data, DatasetLoader.defaultMapping(data), split));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Mines; settings that do not fit the data (too few candidates for the range, …) are command-line errors. */
    public HardNegativeMiner.Result mine(List<HardNegativeMiner.Pair> pairs, List<String> corpus, Scorer scorer,
            MiningOptions options, CommandSpec spec) {
        try {
            return HardNegativeMiner.mine(pairs, corpus, scorer, options);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Writes the rows to {@code --output} (replacing it whole) and prints the summary line. */
    public void write(HardNegativeMiner.Result result, MiningOptions options, long startNanos, CommandSpec spec)
            throws IOException {
        AtomicFiles.write(output, rowsJsonl(result, options).getBytes(StandardCharsets.UTF_8));
        spec.commandLine().getOut().printf("%,d queries, %,d rows (%s) in %.1f s, %,d queries dropped for too few candidates, "
                        + "negatives per query %s -> %s%n", result.queries(), result.rows().size(), options.format(),
                (System.nanoTime() - startNanos) / 1e9, result.droppedQueries(), result.negativesPerQuery(), output);
        spec.commandLine().getOut().flush();
    }

    /** The rows as JSONL, one object per row with the format's columns (anchor, positive, negative_1, …). */
    public static String rowsJsonl(HardNegativeMiner.Result result, MiningOptions options) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder out = new StringBuilder();
        for (List<String> row : result.rows()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("anchor", row.get(0));
            switch (options.format()) {
                case TRIPLET -> {
                    o.put("positive", row.get(1));
                    o.put("negative", row.get(2));
                }
                case N_TUPLE -> {
                    o.put("positive", row.get(1));
                    for (int i = 2; i < row.size(); i++) {
                        o.put("negative_" + (i - 1), row.get(i));
                    }
                }
                case LABELED_PAIR -> {
                    o.put("passage", row.get(1));
                    o.put("label", Integer.parseInt(row.get(2)));
                }
            }
            out.append(json.writeValueAsString(o)).append('\n');
        }
        return out.toString();
    }
}
