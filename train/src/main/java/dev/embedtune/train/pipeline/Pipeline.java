package dev.embedtune.train.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.onnx.OnnxExporter;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.train.Warnings;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.eval.EvaluatorKind;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.DenseScorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.mining.Scorer;
import dev.embedtune.train.report.ReportWriter;
import dev.embedtune.train.report.RunReport;
import dev.embedtune.train.report.TrainingHistory;
import dev.embedtune.train.trainer.MetricsLog;
import dev.embedtune.train.trainer.TrainResult;
import dev.embedtune.train.trainer.TrainerListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The one fine-tuning pipeline, from a {@link RunSpec} to a trained model and, where asked, a report.
 * Every front end runs it: {@code embedtune main} (the defaults), {@code run --config FILE},
 * {@code finetune} (base evaluation, mining and report off), each HPO trial (into the trial's
 * directory, with its own data and a listener), and programs. Stages, each optional but training:
 *
 * <ol>
 *   <li>the output directory ({@link OutputDirectory}: refuse, overwrite or resume);</li>
 *   <li>the base model ({@link ModelCache}, imported once) and the data ({@link PipelineData}: the
 *       training split, and the evaluator of the evaluated split);</li>
 *   <li>{@code base_evaluation}: the base model, embedding with the training max length;</li>
 *   <li>{@code mining}: hard negatives for (anchor, positive) training pairs, never from a query's
 *       own group (other data shapes train as they are);</li>
 *   <li>training: LoRA over the (quantised) base ({@link FineTuneJob}), saving {@code adapter/}
 *       (PEFT) and the merged {@code model/} (sentence-transformers), and with {@code export_onnx}
 *       the merged model as ONNX in {@code onnx/} ({@link OnnxExporter});</li>
 *   <li>fine-tuned evaluation (when the spec has an eval split): the merged model, loaded as any model
 *       directory is, so base and fine-tuned compare like for like;</li>
 *   <li>{@code report}: {@code report.json}, {@code report.md}, and the charts of {@link Options#charts}.</li>
 * </ol>
 *
 * <p>The embeddings (evaluations, dense mining) and the training step run where {@link Options#backend}
 * says: in this process, or on a cluster (the spark module's {@code run} and {@code finetune}).
 */
public final class Pipeline {

    /** The folder of the ONNX export ({@code export_onnx}) in the output directory. */
    public static final String ONNX_DIR = "onnx";

    /** Texts per encoder call in the evaluations and dense mining. */
    public static final int EVAL_BATCH_SIZE = 32;

    /** Draws a run's charts into its directory (the application's business: it needs a charting library). */
    @FunctionalInterface
    public interface Charts {
        /** @return the charts written, with their titles for report.md */
        List<ReportWriter.Chart> draw(RunReport report, TrainingHistory history, Path dir) throws IOException;
    }

    /**
     * What a front end adds to the spec.
     *
     * @param data the training set and evaluator to use instead of reading the spec's data file, or null
     * @param listener builds the trainer's listener for the job (e.g. HPO's rungs), or null
     * @param charts draws the report's charts, or null for none
     * @param backend where the embeddings and the training step run ({@link PipelineBackend#LOCAL}: here)
     */
    public record Options(PipelineData data, Function<FineTuneJob, TrainerListener> listener, Charts charts,
            PipelineBackend backend) {

        public Options {
            backend = backend == null ? PipelineBackend.LOCAL : backend;
        }

        /** In this process. */
        public Options(PipelineData data, Function<FineTuneJob, TrainerListener> listener, Charts charts) {
            this(data, listener, charts, PipelineBackend.LOCAL);
        }

        public static Options defaults() {
            return new Options(null, null, null);
        }

        public Options withCharts(Charts c) {
            return new Options(data, listener, c, backend);
        }

        public Options withBackend(PipelineBackend b) {
            return new Options(data, listener, charts, b);
        }
    }

    /**
     * What a run did. The evaluations and the report are null where their stage was off.
     *
     * @param spec the run specification
     * @param base the base model's evaluation
     * @param fineTuned the merged model's evaluation
     * @param trained the trainer's result
     * @param saved where the adapter and the merged model are
     * @param report the report, with {@code reportFiles} and {@code charts}
     */
    public record Result(RunSpec spec, EvaluationResult base, EvaluationResult fineTuned, TrainResult trained,
            FineTuneJob.Saved saved, RunReport report, ReportWriter.Files reportFiles, List<Path> charts, Path metricsLog) {

        public Path outputDir() {
            return spec.outputDir();
        }
    }

    private Pipeline() {
    }

    /** Runs the spec's stages on its data file; progress goes to {@code out} (the trainer's progress bar to stderr). */
    public static Result run(RunSpec spec, PrintWriter out) throws IOException {
        return run(spec, Options.defaults(), out);
    }

    /**
     * Runs the spec's stages.
     *
     * @param out progress lines, or null for none
     * @throws IllegalArgumentException when the output directory is refused, there is nothing to
     *     resume, the dims do not fit the model, the data do not suit the loss, or mining finds nothing
     */
    public static Result run(RunSpec spec, Options options, PrintWriter out) throws IOException {
        out = out != null ? out : new PrintWriter(Writer.nullWriter());
        long start = System.nanoTime();
        Map<String, Double> timings = new LinkedHashMap<>();
        Path outDir = spec.outputDir();
        OutputDirectory.prepare(spec);

        // 1. the base model and the data
        long t = System.nanoTime();
        out.println("1. base model: " + spec.model());
        out.flush();
        Path modelDir = ModelCache.resolve(spec.model());
        ModelDirectory model = ModelDirectory.read(modelDir);
        int dimension = model.pooling().outputDimension();
        checkDims(spec, dimension, modelDir, out);
        int positions = model.config().maxPositionEmbeddings();
        if (spec.maxLength() > positions) {
            Warnings.warn("max_length " + spec.maxLength() + " exceeds the model's max_position_embeddings " + positions + " ("
                    + model.transformerDir().resolve("config.json") + "); texts are cut at " + positions + " tokens");
        }
        out.printf("   %s (%s, %d layers, dimension %d)%n", modelDir, model.config().modelType(), model.config().numHiddenLayers(),
                dimension);
        timings.put("import", seconds(t));
        t = System.nanoTime();
        PipelineData data = options.data() != null ? options.data() : PipelineData.load(spec);
        out.printf("2. data: %s (%,d %s training examples; evaluation: %s)%n", data.name(), data.train().size(),
                data.train().format().name().toLowerCase(Locale.ROOT), data.evaluator() == null ? "none" : data.evaluation());
        timings.put("data", seconds(t));

        // 2. the base model's evaluation
        EvaluationResult baseResult = null;
        if (spec.baseEvaluation() && data.evaluator() != null) {
            t = System.nanoTime();
            out.println("3. evaluating the base model …");
            out.flush();
            baseResult = data.evaluator().evaluate(options.backend().encoder(modelDir, spec));
            releaseNativeMemory();
            out.println("   " + summary(baseResult));
            timings.put("base_evaluation", seconds(t));
        } else {
            out.println("3. base evaluation: off");
        }

        // 3. hard negatives
        t = System.nanoTime();
        Mined mined = mine(spec, data, modelDir, options.backend(), out);
        releaseNativeMemory();
        timings.put("mining", seconds(t));

        // 4. fine-tuning
        t = System.nanoTime();
        out.printf("5. fine-tuning: %s over a %s base, LoRA r %d alpha %s on %s%s, %,d examples%s …%n", spec.loss(), spec.quantization(),
                spec.lora().r(), trim(spec.lora().alpha()), spec.lora().targetModules(),
                spec.matryoshkaDims().isEmpty() ? "" : ", Matryoshka " + spec.matryoshkaDims(), mined.dataset().size(),
                spec.resumeFromCheckpoint() == null ? "" : ", resuming from " + spec.resumeFromCheckpoint());
        out.flush();
        Trained done = train(spec, modelDir, mined.dataset(), data, options);
        releaseNativeMemory();
        TrainResult trained = done.result();
        FineTuneJob.Saved saved = done.saved();
        OutputDirectory.dropPreviousReport(outDir);   // a previous run's, kept by an overwrite until now
        if (spec.exportOnnx()) {
            // the merged model as ONNX, for the serving stacks (ONNX Runtime, langchain4j, DJL): issue 19
            OnnxExporter.Result onnx = OnnxExporter.export(saved.modelDir(), outDir.resolve(ONNX_DIR), OnnxExporter.Options.DEFAULT);
            out.printf("   exported %s (opset %d, inputs %s, %,d bytes)%n", onnx.onnxFile(), onnx.opset(), onnx.inputs(), onnx.onnxBytes());
        }
        out.printf("   trained %s, mean loss %.4f, %.0f s%n", steps(trained.globalStep()), trained.trainingLoss(), trained.runtimeSeconds());
        timings.put("training", seconds(t));

        // 5. the fine-tuned model's evaluation
        EvaluationResult tunedResult = null;
        if (data.evaluator() != null) {
            t = System.nanoTime();
            out.println("6. evaluating the fine-tuned model (" + saved.modelDir() + ") …");
            out.flush();
            tunedResult = data.evaluator().evaluate(options.backend().encoder(saved.modelDir(), spec));
            releaseNativeMemory();
            out.println("   " + summary(tunedResult));
            timings.put("fine_tuned_evaluation", seconds(t));
        }
        timings.put("total", seconds(start));

        // 6. the report
        Path metricsLog = outDir.resolve(MetricsLog.FILE_NAME);
        RunReport report = null;
        ReportWriter.Files files = null;
        List<Path> charts = List.of();
        if (spec.report()) {
            TrainingHistory history = TrainingHistory.read(metricsLog);
            if (history.finalEpoch() == null) {
                throw new IOException(metricsLog + ": no closing line with train_runtime and epoch; the trainer's log is incomplete");
            }
            List<Integer> dims = spec.matryoshkaDims().isEmpty() ? List.of(dimension) : spec.matryoshkaDims();
            EvaluatorKind kind = data.kind() != null ? data.kind() : EvaluatorKind.RETRIEVAL;
            report = new RunReport(spec.model(), data.name(), settingsOf(spec), kind.cliName(), kind.tableMetrics(), dims,
                    baseResult.metrics(),
                    tunedResult.metrics(), timings, new RunReport.Training(trained.globalStep(),
                            history.finalEpoch(), mined.dataset().size(), mined.negatives(),
                            trained.trainingLoss(), history.finalLoss(), trained.runtimeSeconds()));
            List<ReportWriter.Chart> drawn = options.charts() == null ? List.of() : options.charts().draw(report, history, outDir);
            charts = drawn.stream().map(ReportWriter.Chart::file).toList();
            files = ReportWriter.write(report, outDir, drawn);
        }
        Result result = new Result(spec, baseResult, tunedResult, trained, saved, report, files, charts, metricsLog);
        printSummary(result, out);
        return result;
    }

    // ---------------------------------------------------------------- stages

    /** What training left: the trainer's result and where the adapter and merged model are. */
    private record Trained(TrainResult result, FineTuneJob.Saved saved) {
    }

    /** Trains and saves; the job (its model, quantised base and adapters) is garbage on return. */
    private static Trained train(RunSpec spec, Path modelDir, Dataset train, PipelineData data, Options options)
            throws IOException {
        FineTuneJob job = FineTuneJob.prepare(spec, modelDir, options.backend());
        TrainerListener listener = options.listener() == null ? null : options.listener().apply(job);
        TrainResult trained = job.train(train, data.evaluator(), listener, spec.resumeFromCheckpoint());
        return new Trained(trained, job.save());
    }

    /**
     * Lets the garbage collector free a finished stage's model now. ND4J frees an array's native
     * memory (a model's weights, its activation arena: hundreds of MB) only once the collector finds
     * the array unreachable, and the heap, which holds little besides, may not start a collection
     * for the rest of the run: the next stage's model would then come on top of this one's.
     */
    private static void releaseNativeMemory() {
        System.gc();
    }

    /** The training set and how many negatives mining added. */
    private record Mined(Dataset dataset, int negatives) {
    }

    private static Mined mine(RunSpec spec, PipelineData data, Path modelDir, PipelineBackend backend, PrintWriter out)
            throws IOException {
        Dataset train = data.train();
        RunSpec.Mining m = spec.mining();
        if (!m.enabled()) {
            out.println("4. mining: off");
            return new Mined(train, 0);
        }
        if (train.format() != ExampleFormat.PAIR) {
            out.println("4. mining: skipped, the training examples are " + train.format().name().toLowerCase(Locale.ROOT)
                    + ", not (anchor, positive) pairs");
            return new Mined(train, 0);
        }
        ExampleFormat mined = trainingFormat(m);
        if (!FineTuneJob.formatsOf(spec.loss()).contains(mined)) {
            throw new IllegalArgumentException("loss " + spec.loss() + " trains on " + FineTuneJob.formatsOf(spec.loss())
                    + " examples, but mining gives " + mined + "; pick a loss of the MNRL family, or set mining.enabled: false");
        }
        out.printf("4. mining %d hard negative%s per pair (%s) …%n", m.options().numNegatives(), m.options().numNegatives() == 1 ? "" : "s",
                m.scorer().name().toLowerCase(Locale.ROOT));
        out.flush();
        List<HardNegativeMiner.Pair> pairs = HardNegativeMiner.pairs(train);
        Map<String, String> groupOf = new HashMap<>();
        pairs.forEach(p -> groupOf.putIfAbsent(p.query(), p.group()));
        // As sentence-transformers by default: the corpus is the mined split's positives, so a
        // training set never takes negatives from held-out passages.
        List<String> corpus = HardNegativeMiner.corpusWithPositives(List.of(), pairs);
        Scorer scorer = switch (m.scorer()) {
            case BM25 -> new Bm25Scorer(corpus);
            case DENSE -> new DenseScorer(backend.encoder(modelDir, spec), corpus, 1024);
        };
        HardNegativeMiner.Result r = HardNegativeMiner.mine(pairs, corpus, scorer, m.options());
        if (r.rows().isEmpty()) {
            throw new IllegalArgumentException("mining found no negative for any of the " + r.queries() + " queries of " + train.name()
                    + " (margins or score limits too strict?); relax mining or set mining.enabled: false");
        }
        List<Example> examples = new ArrayList<>();
        int negatives = 0;
        for (List<String> row : r.rows()) {
            examples.add(new Example(row, null, groupOf.get(row.get(0))));
            negatives += row.size() - 2;
        }
        out.printf("   %,d rows from %,d queries, %,d negatives (negatives per query: %s)%n", examples.size(), r.queries(), negatives,
                r.negativesPerQuery());
        return new Mined(new Dataset(train.name() + ", mined", mined, examples), negatives);
    }

    /** The format of mined examples: triplets, or n-tuples for several negatives a row. */
    static ExampleFormat trainingFormat(RunSpec.Mining mining) {
        return mining.options().format() == MiningOptions.Format.N_TUPLE && mining.options().numNegatives() > 1
                ? ExampleFormat.N_TUPLE : ExampleFormat.TRIPLET;
    }

    /**
     * A Matryoshka dim above the model's dimension is an error; dims below it leave its last
     * dimensions untrained, which is said (sentence-transformers recommends listing the full dimension).
     */
    private static void checkDims(RunSpec spec, int dimension, Path modelDir, PrintWriter out) {
        List<Integer> dims = spec.matryoshkaDims();
        for (int d : dims) {
            if (d > dimension) {
                throw new IllegalArgumentException("matryoshka_dims " + dims + ": " + d + " exceeds the embedding dimension "
                        + dimension + " of " + modelDir);
            }
        }
        if (!dims.isEmpty() && dims.stream().mapToInt(Integer::intValue).max().orElseThrow() < dimension) {
            out.println("   note: matryoshka_dims " + dims + " leave out the model's dimension " + dimension
                    + ", so its last dimensions are not trained; list " + dimension + " first to train them");
        }
    }

    private static Map<String, Object> settingsOf(RunSpec spec) {
        return new ObjectMapper().convertValue(spec.toTree(), new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    // ---------------------------------------------------------------- output

    /** The primary metric of an evaluation. */
    static String summary(EvaluationResult r) {
        return String.format(Locale.ROOT, "%s %.4f", r.primaryMetric(), r.primaryScore());
    }

    /** The short table (the first three table metrics per dim, base → fine-tuned) and the paths. */
    static void printSummary(Result r, PrintWriter out) {
        RunReport report = r.report();
        if (report != null) {
            List<String> shown = report.tableMetrics().subList(0, Math.min(3, report.tableMetrics().size()));
            out.println("7. results, " + report.evaluator() + " (base → fine-tuned, cosine):");
            StringBuilder header = new StringBuilder("   dim  ");
            shown.forEach(m -> header.append(String.format(Locale.ROOT, " %-27s", ReportWriter.title(m))));
            out.println(header.toString().stripTrailing());
            for (int d : report.dims()) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "   %-5d", d));
                for (String m : shown) {
                    double b = report.base(d, m);
                    double f = report.fineTuned(d, m);
                    row.append(String.format(Locale.ROOT, " %.4f → %.4f (%+.4f)  ", b, f, f - b));
                }
                out.println(row.toString().stripTrailing());
            }
            out.printf(Locale.ROOT, "   %s in %.0f s; %.0f s in all%n", steps(report.training().steps()), report.training().runtimeSeconds(),
                    report.timings().get("total"));
            out.println("   report:   " + r.reportFiles().markdown());
            out.println("             " + r.reportFiles().json());
            for (Path chart : r.charts()) {
                out.println("   chart:    " + chart);
            }
        } else if (r.fineTuned() != null) {
            out.println("7. fine-tuned metrics: " + new ObjectMapper().valueToTree(r.fineTuned().metrics()));
        }
        out.println("   adapter:  " + r.saved().adapterDir() + " (PEFT)");
        out.println("   model:    " + r.saved().modelDir() + " (sentence-transformers, merged)");
        if (r.spec().exportOnnx()) {
            out.println("   onnx:     " + r.outputDir().resolve(ONNX_DIR) + " (model.onnx, tokenizer.json)");
        }
        out.println("   metrics:  " + r.metricsLog());
        out.flush();
    }

    private static String steps(int n) {
        return String.format(Locale.ROOT, "%,d step%s", n, n == 1 ? "" : "s");
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
