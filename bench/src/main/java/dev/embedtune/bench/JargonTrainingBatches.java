package dev.embedtune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.data.NoDuplicatesBatchSampler;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The main job's training batches on the shipped Jargon File set, built as {@code embedtune run}
 * builds them by default: the train split's pairs, one BM25 hard negative per pair mined from the
 * split's own positives (sentence-transformers' {@code mine_hard_negatives} defaults: the top
 * candidate, triplets, queries without a negative dropped), then the first epoch of the no-duplicates
 * batch sampler, 32 triplets a batch, seed 42. Each batch is three columns: anchors, positives,
 * negatives. The training benchmark and the sentence-transformers peer ({@link #write}) run these same
 * batches.
 */
public final class JargonTrainingBatches {
    public static final String RESOURCE = "dev/embedtune/datasets/jargon.jsonl";
    public static final int BATCH = 32;
    public static final long SEED = 42;

    private JargonTrainingBatches() {
    }

    /** The batches of epoch 0, each [anchors, positives, negatives]. */
    public static List<List<List<String>>> build() throws IOException {
        Path data = Files.createTempFile("jargon", ".jsonl");
        try {
            try (InputStream in = JargonTrainingBatches.class.getClassLoader().getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IOException("classpath resource " + RESOURCE + " missing (it ships in the train module)");
                }
                Files.copy(in, data, StandardCopyOption.REPLACE_EXISTING);
            }
            List<HardNegativeMiner.Pair> pairs = HardNegativeMiner.pairs(
                    DatasetLoader.load(data, DatasetLoader.defaultMapping(data), "train"));
            List<String> corpus = HardNegativeMiner.corpusWithPositives(List.of(), pairs);
            MiningOptions options = new MiningOptions(0, null, null, null, null, null, 1, MiningOptions.Sampling.TOP,
                    MiningOptions.Format.TRIPLET, SEED);
            HardNegativeMiner.Result mined = HardNegativeMiner.mine(pairs, corpus, new Bm25Scorer(corpus), options);
            Map<String, String> groupOf = new HashMap<>();
            pairs.forEach(p -> groupOf.putIfAbsent(p.query(), p.group()));
            List<Example> examples = new ArrayList<>();
            for (List<String> row : mined.rows()) {
                examples.add(new Example(row, null, groupOf.get(row.get(0))));
            }
            List<List<List<String>>> batches = new ArrayList<>();
            for (int[] indices : new NoDuplicatesBatchSampler(examples, BATCH, SEED, false).batches(0)) {
                List<List<String>> columns = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    List<String> column = new ArrayList<>();
                    for (int i : indices) {
                        column.add(examples.get(i).texts().get(c));
                    }
                    columns.add(column);
                }
                batches.add(columns);
            }
            return batches;
        } finally {
            Files.deleteIfExists(data);
        }
    }

    /** Writes {@code {"batches": [[anchors, positives, negatives], …]}} for the Python peer. */
    public static void write(List<List<List<String>>> batches, Path file) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try {
            new ObjectMapper().writeValue(tmp.toFile(), Map.of("batches", batches));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
