package dev.embedtune.train.pipeline;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.eval.EvaluatorKind;
import dev.embedtune.train.eval.RetrievalTask;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * What a pipeline trains on and how it evaluates: the training split and the evaluator of the
 * evaluated split, read from the spec's data file ({@link #load}) or given by a front end that holds
 * its own (an HPO trial's training and validation parts).
 *
 * @param name where the data came from, for messages and the report
 * @param train the training examples
 * @param evaluator the evaluation of the base and fine-tuned models, or null for none
 * @param kind which evaluator that is (null without one)
 * @param evaluation what the evaluator measures, for messages
 */
public record PipelineData(String name, Dataset train, Evaluator<?> evaluator, EvaluatorKind kind, String evaluation) {

    /** The dataset shipped in this module, used when the spec names none. */
    public static final String SHIPPED_DATASET = "dev/embedtune/datasets/jargon.jsonl";

    /**
     * Reads the spec's data file (the shipped Jargon File pairs, copied into the output directory, when
     * it names none) through its column mapping: the training split, and, with an eval split, the
     * evaluator the spec names or, by default, the one the data's roles call for ({@link EvaluatorKind#forFormat}),
     * at every Matryoshka dimension.
     */
    public static PipelineData load(RunSpec spec) throws IOException {
        Path file = spec.data() != null ? spec.data() : shippedDataset(spec.outputDir().resolve("data/jargon.jsonl"));
        ColumnMapping mapping = spec.columns() != null ? ColumnMapping.parse(spec.columns()) : DatasetLoader.defaultMapping(file);
        Dataset train = DatasetLoader.load(file, mapping, spec.trainSplit());
        if (spec.evalSplit() == null) {
            return new PipelineData(file.toString(), train, null, null, null);
        }
        Dataset evaluated = DatasetLoader.load(file, mapping, spec.evalSplit());
        EvaluatorKind kind = spec.evaluator() != null ? EvaluatorKind.parse(spec.evaluator()) : EvaluatorKind.forFormat(evaluated.format());
        Dataset all = kind == EvaluatorKind.RETRIEVAL ? DatasetLoader.load(file, mapping, "all") : evaluated;
        String what = kind == EvaluatorKind.RETRIEVAL
                ? String.format("retrieval, %,d %s queries against %,d passages", evaluated.size(), spec.evalSplit(),
                        RetrievalTask.of(evaluated, all).corpus().size())
                : String.format("%s, %,d %s %s examples", kind.cliName(), evaluated.size(), spec.evalSplit(),
                        evaluated.format().name().toLowerCase(java.util.Locale.ROOT));
        return new PipelineData(file.toString(), train, kind.create(evaluated, all, spec.matryoshkaDims()), kind, what);
    }

    /** Copies the dataset shipped on the classpath to {@code target}. */
    public static Path shippedDataset(Path target) throws IOException {
        try (InputStream in = PipelineData.class.getClassLoader().getResourceAsStream(SHIPPED_DATASET)) {
            if (in == null) {
                throw new IOException("the default dataset " + SHIPPED_DATASET + " is not on the classpath");
            }
            AtomicFiles.write(target, in.readAllBytes());
        }
        return target;
    }
}
