package dev.embedtune.train.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.DenseScorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.PairsFile;
import dev.embedtune.train.mining.Scorer;
import dev.embedtune.train.report.ReportWriter;
import dev.embedtune.train.report.RunCharts;
import dev.embedtune.train.report.RunReport;
import dev.embedtune.train.report.TrainingHistory;
import dev.embedtune.train.trainer.Checkpoints;
import dev.embedtune.train.trainer.MetricsLog;
import dev.embedtune.train.trainer.TrainResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The whole fine-tuning job, from a {@link PipelineConfig} to a report — what {@code embedtune main}
 * and {@code embedtune run --config FILE} do:
 *
 * <ol>
 *   <li>import the base model ({@link ModelCache}, cached after the first run);</li>
 *   <li>load the dataset: the training split's pairs and the evaluation task (the evaluated split's
 *       queries against every passage of the file);</li>
 *   <li>evaluate the base model at every Matryoshka dimension;</li>
 *   <li>mine hard negatives for the training pairs (BM25 or dense), never from a query's own group;</li>
 *   <li>fine-tune with LoRA over the (quantised) base ({@link FineTuneJob}; progress bar on stderr),
 *       saving {@code adapter/} (PEFT) and the merged {@code model/} (sentence-transformers);</li>
 *   <li>evaluate the merged model, loaded as any model directory is, at every dimension;</li>
 *   <li>write {@code report.json}, {@code report.md} and the charts beside the trainer's
 *       {@code metrics.jsonl}, checkpoints and {@code final/}.</li>
 * </ol>
 *
 * Both evaluations embed with the same max length as training, so base and fine-tuned compare like
 * for like. An output directory that already holds a run is refused unless the config overwrites it
 * (its run files are deleted first) or resumes from its latest checkpoint (everything but the
 * finished training steps is recomputed; training continues bit-identically, see {@code Trainer}).
 */
public final class Pipeline {

    /** Texts per encoder call in the evaluations and dense mining. */
    static final int EVAL_BATCH_SIZE = 32;

    /** The dataset shipped in this module, used when the config names none. */
    public static final String SHIPPED_DATASET = "dev/embedtune/datasets/jargon.jsonl";

    /** What a run wrote. */
    public record Result(RunReport report, Path outputDir, ReportWriter.Files reportFiles, Path ndcgChart, Path curvesChart,
            FineTuneJob.Saved saved, Path metricsLog) {
    }

    /** The names in an output directory that a run writes (temporary ones too), and that an overwrite deletes. */
    private static final Pattern RUN_FILES = Pattern.compile("metrics\\.jsonl|report\\.(json|md)|ndcg_per_dim\\.png"
            + "|training_curves\\.png|adapter|model|final(\\.tmp)?|data|checkpoint-\\d+(\\.tmp)?|\\.(adapter|model|final)\\..+"
            + "|\\..+\\.tmp");

    private Pipeline() {
    }

    /**
     * Runs the job; progress goes to {@code out} (the trainer's progress bar to stderr).
     *
     * @throws IllegalArgumentException when the output directory holds a run and the config neither
     *     overwrites nor resumes it, when there is nothing to resume, or when the dims do not fit the model
     */
    public static Result run(PipelineConfig config, PrintWriter out) throws IOException {
        long start = System.nanoTime();
        Map<String, Double> timings = new LinkedHashMap<>();
        Path outDir = config.outputDir();
        prepareOutputDirectory(config);

        // 1. the base model
        long t = System.nanoTime();
        out.println("1. base model: " + config.model());
        out.flush();
        Path modelDir = ModelCache.resolve(config.model());
        Embedder base = Embedder.load(modelDir, new Embedder.Options(EVAL_BATCH_SIZE, config.maxLength(), null));
        checkDims(config.dims(), base.dimension(), modelDir);
        out.printf("   %s (%d layers, dimension %d)%n", modelDir, base.model().config().numHiddenLayers(), base.dimension());
        timings.put("import", seconds(t));

        // 2. the dataset
        t = System.nanoTime();
        Path data = config.data() != null ? config.data() : shippedDataset(outDir.resolve("data/jargon.jsonl"));
        List<HardNegativeMiner.Pair> pairs = PairsFile.read(data, config.trainSplit());
        RetrievalTask task = RetrievalTask.fromJsonl(data, config.evalSplit());
        MatryoshkaEvaluation evaluation = new MatryoshkaEvaluation(config.dims(),
                name -> InformationRetrievalEvaluator.of(task, InformationRetrievalEvaluator.Options.defaults().withName(name)));
        out.printf("2. dataset: %s (%,d %s pairs; %,d %s queries against a corpus of %,d passages)%n", data, pairs.size(),
                config.trainSplit(), task.queries().size(), config.evalSplit(), task.corpus().size());
        timings.put("data", seconds(t));

        // 3. the base model's evaluation
        t = System.nanoTime();
        out.println("3. evaluating the base model at dims " + config.dims() + " …");
        out.flush();
        EvaluationResult baseResult = evaluation.evaluate(base);
        out.printf("   NDCG@10 at %d: %.4f%n", config.dims().get(0), baseResult.metrics().get(RunReport.key(config.dims().get(0), "ndcg@10")));
        timings.put("base_evaluation", seconds(t));

        // 4. hard negatives
        t = System.nanoTime();
        Mined mined = mine(config, pairs, base, data, out);
        timings.put("mining", seconds(t));

        // 5. fine-tuning
        t = System.nanoTime();
        out.printf("5. fine-tuning: %s over a %s base, LoRA r %d alpha %s, %,d examples%s …%n", config.loss(), config.quantization(),
                config.loraR(), trim(config.loraAlpha()), mined.dataset().size(),
                config.resumeFromCheckpoint() == null ? "" : ", resuming from " + config.resumeFromCheckpoint());
        out.flush();
        FineTuneJob.Settings settings = new FineTuneJob.Settings(modelDir,
                config.lora(), config.quantization(), config.loss(), config.dims(), config.maxLength(), config.modelDropout());
        FineTuneJob job = FineTuneJob.prepare(settings, config.training());
        TrainResult trained = job.train(mined.dataset(), evaluation, null, config.resumeFromCheckpoint());
        FineTuneJob.Saved saved = job.save();
        out.printf("   %s, mean loss %.4f, %.0f s%n", steps(trained.globalStep()), trained.trainingLoss(), trained.runtimeSeconds());
        timings.put("training", seconds(t));

        // 6. the fine-tuned model's evaluation
        t = System.nanoTime();
        out.println("6. evaluating the fine-tuned model at dims " + config.dims() + " …");
        out.flush();
        Embedder tuned = Embedder.load(saved.modelDir(), new Embedder.Options(EVAL_BATCH_SIZE, config.maxLength(), null));
        EvaluationResult tunedResult = evaluation.evaluate(tuned);
        timings.put("fine_tuned_evaluation", seconds(t));
        timings.put("total", seconds(start));

        // 7. the report
        Path metricsLog = outDir.resolve(MetricsLog.FILE_NAME);
        TrainingHistory history = TrainingHistory.read(metricsLog);
        if (history.finalEpoch() == null) {
            throw new IOException(metricsLog + ": no closing line with train_runtime and epoch; the trainer's log is incomplete");
        }
        RunReport report = new RunReport(config.model(), data.toString(), settingsOf(config), config.dims(), baseResult.metrics(),
                tunedResult.metrics(), timings, new RunReport.Training(trained.globalStep(),
                        history.finalEpoch(), mined.dataset().size(), mined.negatives(),
                        trained.trainingLoss(), history.finalLoss(), trained.runtimeSeconds()));
        Path bars = RunCharts.ndcgPerDim(report, outDir);
        Path curves = RunCharts.trainingCurves(history, "eval_" + RunReport.key(config.dims().get(0), "ndcg@10"), outDir);
        ReportWriter.Files files = ReportWriter.write(report, outDir);
        Result result = new Result(report, outDir, files, bars, curves, saved, metricsLog);
        printSummary(result, out);
        return result;
    }

    // ---------------------------------------------------------------- steps

    /** The training set and how many negatives mining added. */
    private record Mined(Dataset dataset, int negatives) {
    }

    private static Mined mine(PipelineConfig config, List<HardNegativeMiner.Pair> pairs, TextEncoder base, Path data,
            PrintWriter out) {
        String name = data.getFileName() + " (" + config.trainSplit() + ")";
        Map<String, String> groupOf = new HashMap<>();
        pairs.forEach(p -> groupOf.putIfAbsent(p.query(), p.group()));
        if (!config.mining().enabled()) {
            out.println("4. mining: disabled; training on the pairs");
            List<Example> examples = pairs.stream().map(p -> new Example(List.of(p.query(), p.positive()), null, p.group())).toList();
            return new Mined(new Dataset(name, PipelineConfig.trainingFormat(config.mining()), examples), 0);
        }
        PipelineConfig.Mining m = config.mining();
        out.printf("4. mining %d hard negative%s per pair (%s) …%n", m.options().numNegatives(), m.options().numNegatives() == 1 ? "" : "s",
                m.scorer().name().toLowerCase(Locale.ROOT));
        out.flush();
        // As sentence-transformers by default: the corpus is the mined split's positives, so a
        // training set never takes negatives from held-out passages.
        List<String> corpus = HardNegativeMiner.corpusWithPositives(List.of(), pairs);
        Scorer scorer = switch (m.scorer()) {
            case BM25 -> new Bm25Scorer(corpus);
            case DENSE -> new DenseScorer(base, corpus, 1024);
        };
        HardNegativeMiner.Result r = HardNegativeMiner.mine(pairs, corpus, scorer, m.options());
        if (r.rows().isEmpty()) {
            throw new IllegalArgumentException("mining found no negative for any of the " + r.queries() + " queries of " + name
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
        return new Mined(new Dataset(name + ", mined", PipelineConfig.trainingFormat(m), examples), negatives);
    }

    /**
     * Refuses to mix runs, as {@code embedtune finetune} does: a non-empty output directory is an
     * error unless the config overwrites it (the files a run writes are deleted, nothing else) or
     * resumes it (the checkpoint must exist).
     */
    static void prepareOutputDirectory(PipelineConfig config) throws IOException {
        Path dir = config.outputDir();
        String resume = config.resumeFromCheckpoint();
        if (resume != null) {
            boolean latest = resume.equals("latest");
            if (latest ? Checkpoints.sorted(dir).isEmpty() : !Files.isDirectory(Path.of(resume))) {
                throw new IllegalArgumentException("nothing to resume: " + (latest ? dir + " holds no complete checkpoint-<step> directory"
                        : resume + " is not a directory") + "; start afresh without --resume");
            }
            return;
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output directory " + dir + " exists and is not a directory");
        }
        List<Path> entries = entries(dir);
        if (entries.isEmpty()) {
            return;
        }
        if (!config.overwriteOutputDir()) {
            throw new IllegalArgumentException("output directory " + dir + " is not empty (" + entries.size() + " entries, e.g. "
                    + entries.get(0).getFileName() + "); pass --overwrite (overwrite_output_dir: true) to replace the previous run,"
                    + " or --resume (resume_from_checkpoint: latest) to continue its training");
        }
        for (Path p : entries) {
            if (RUN_FILES.matcher(p.getFileName().toString()).matches()) {
                AtomicFiles.deleteTree(p);
            }
        }
    }

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static void checkDims(List<Integer> dims, int dimension, Path modelDir) {
        for (int d : dims) {
            if (d > dimension) {
                throw new IllegalArgumentException("dims " + dims + ": " + d + " exceeds the embedding dimension " + dimension
                        + " of " + modelDir);
            }
        }
    }

    /** Copies the dataset shipped on the classpath next to the run's outputs. */
    public static Path shippedDataset(Path target) throws IOException {
        try (InputStream in = Pipeline.class.getClassLoader().getResourceAsStream(SHIPPED_DATASET)) {
            if (in == null) {
                throw new IOException("the default dataset " + SHIPPED_DATASET + " is not on the classpath");
            }
            AtomicFiles.write(target, in.readAllBytes());
        }
        return target;
    }

    private static Map<String, Object> settingsOf(PipelineConfig config) {
        return new ObjectMapper().convertValue(config.toJson(), new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    // ---------------------------------------------------------------- output

    /** The short table (NDCG@10, MRR@10, Recall@10 per dim, base → fine-tuned) and the paths. */
    static void printSummary(Result r, PrintWriter out) {
        RunReport report = r.report();
        out.println("7. results (base → fine-tuned, cosine):");
        out.println("   dim   NDCG@10                    MRR@10                     Recall@10");
        for (int d : report.dims()) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "   %-5d", d));
            for (String m : List.of("ndcg@10", "mrr@10", "recall@10")) {
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
        out.println("   charts:   " + r.ndcgChart());
        out.println("             " + r.curvesChart());
        out.println("   adapter:  " + r.saved().adapterDir() + " (PEFT)");
        out.println("   model:    " + r.saved().modelDir() + " (sentence-transformers, merged)");
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
