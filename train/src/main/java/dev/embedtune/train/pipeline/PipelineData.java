package dev.embedtune.train.pipeline;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What a pipeline trains on and how it evaluates: the training split and the evaluator of the
 * evaluated split, read from the spec's data file ({@link #load}) or given by a front end that holds
 * its own (an HPO trial's training and validation parts).
 *
 * @param name where the data came from, for messages and the report
 * @param train the training examples
 * @param evaluator the evaluation of the base and fine-tuned models, or null for none
 * @param evaluation what the evaluator measures, for messages
 */
public record PipelineData(String name, Dataset train, Evaluator<?> evaluator, String evaluation) {

    /** The dataset shipped in this module, used when the spec names none. */
    public static final String SHIPPED_DATASET = "dev/embedtune/datasets/jargon.jsonl";

    /**
     * Reads the spec's data file (the shipped Jargon File pairs, copied into the output directory, when
     * it names none) through its column mapping: the training split, and, with an eval split, its
     * retrieval evaluation against every record's positive, at every Matryoshka dimension.
     */
    public static PipelineData load(RunSpec spec) throws IOException {
        Path file = spec.data() != null ? spec.data() : shippedDataset(spec.outputDir().resolve("data/jargon.jsonl"));
        ColumnMapping mapping = spec.columns() != null ? ColumnMapping.parse(spec.columns()) : DatasetLoader.defaultMapping(file);
        Dataset train = DatasetLoader.load(file, mapping, spec.trainSplit());
        if (spec.evalSplit() == null) {
            return new PipelineData(file.toString(), train, null, null);
        }
        RetrievalTask task = RetrievalTask.read(file, mapping, spec.evalSplit());
        return new PipelineData(file.toString(), train, retrieval(task, spec.matryoshkaDims()),
                String.format("retrieval, %,d %s queries against %,d passages", task.queries().size(), spec.evalSplit(),
                        task.corpus().size()));
    }

    /** Retrieval at every Matryoshka dimension, or over the full embedding without dims. */
    static Evaluator<?> retrieval(RetrievalTask task, List<Integer> dims) {
        InformationRetrievalEvaluator.Options options = InformationRetrievalEvaluator.Options.defaults();
        if (dims.isEmpty()) {
            return InformationRetrievalEvaluator.of(task, options);
        }
        return new MatryoshkaEvaluation(dims, name -> InformationRetrievalEvaluator.of(task, options.withName(name)));
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
