package dev.embedtune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune main}: the main job on the embedded defaults. Today it runs what exists of the
 * pipeline: import the default model (cached), load the default dataset (the Jargon File pairs
 * shipped in this module), evaluate the base model on the test split at every Matryoshka
 * dimension, embed a few texts, and write {@code report.json}. Fine-tuning (QLoRA) joins when the
 * trainer exists.
 */
@Command(name = "main", mixinStandardHelpOptions = true,
        description = "Run the main job on the embedded defaults (all-MiniLM-L6-v2, Jargon File pairs).")
public final class MainJobCommand implements Callable<Integer> {
    static final String DEFAULT_DATASET = "dev/embedtune/datasets/jargon.jsonl";

    @Option(names = "--model", defaultValue = "builtin:all-minilm-l6-v2",
            description = "Base model directory or builtin:NAME (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--data", description = "Dataset JSONL (id, query, passage, group, split); default: the shipped Jargon File pairs")
    Path data;

    @Option(names = "--output", defaultValue = "runs/main", description = "Output directory (default: ${DEFAULT-VALUE})")
    Path output;

    @Option(names = "--dims", split = ",", defaultValue = "384,256,128,64",
            description = "Matryoshka dimensions to evaluate (default: ${DEFAULT-VALUE})")
    List<Integer> dims;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        Files.createDirectories(output);

        out.println("1. base model: " + model);
        Path modelDir = ModelCache.resolve(model);
        Embedder embedder = Embedder.load(modelDir);
        out.println("   " + modelDir + " (" + embedder.model().config().numHiddenLayers() + " layers, dimension "
                + embedder.dimension() + ")");

        Path dataset = data != null ? data : shippedDataset(output.resolve("data/jargon.jsonl"));
        RetrievalTask task = RetrievalTask.fromJsonl(dataset, "test");
        out.printf("2. dataset: %s (%,d test queries, corpus of %,d passages)%n", dataset, task.queries().size(),
                task.corpus().size());

        out.println("3. evaluating the base model on the test split at dims " + dims + " …");
        out.flush();
        long evalStart = System.nanoTime();
        EvaluationResult base = new MatryoshkaEvaluation(dims,
                name -> InformationRetrievalEvaluator.of(task, InformationRetrievalEvaluator.Options.defaults().withName(name)))
                .evaluate(embedder);
        double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
        out.println("   dim   NDCG@10   MRR@10   Recall@10");
        for (int d : dims) {
            String prefix = MatryoshkaEvaluation.nameOf(d) + "_cosine_";
            out.printf("   %-5d %.4f    %.4f   %.4f%n", d, base.metrics().get(prefix + "ndcg@10"),
                    base.metrics().get(prefix + "mrr@10"), base.metrics().get(prefix + "recall@10"));
        }

        out.println("4. a few texts, cosine similarity of query (row) to passage (column):");
        List<String> queries = List.of("kludge", "hacker", "bogus");
        List<String> passages = List.of(
                "A clever programming trick intended to solve a particular nasty case in an expedient, if not clear, manner.",
                "A person who enjoys exploring the details of programmable systems and how to stretch their capabilities.",
                "Non-functional; useless; false or incorrect.");
        float[][] q = embedder.encode(queries);
        float[][] p = embedder.encode(passages);
        for (int i = 0; i < q.length; i++) {
            StringBuilder row = new StringBuilder(String.format("   %-7s", queries.get(i)));
            for (float[] v : p) {
                row.append(String.format(" %6.3f", dot(q[i], v)));
            }
            out.println(row);
        }

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", model);
        report.put("model_dir", modelDir.toString());
        report.put("dataset", dataset.toString());
        report.put("test_queries", task.queries().size());
        report.put("corpus", task.corpus().size());
        report.put("dims", dims);
        report.put("base", base.metrics());
        report.put("evaluation_seconds", evalSeconds);
        report.put("fine_tuned", null);   // the trainer (QLoRA) is not part of this build yet
        Path reportFile = output.resolve("report.json");
        AtomicFiles.write(reportFile, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(report));
        out.printf("5. wrote %s (%.0f s in all). Fine-tuning with QLoRA is not in this build yet.%n", reportFile,
                (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Copies the dataset shipped on the classpath next to the run's outputs. */
    static Path shippedDataset(Path target) throws IOException {
        try (InputStream in = MainJobCommand.class.getClassLoader().getResourceAsStream(DEFAULT_DATASET)) {
            if (in == null) {
                throw new IOException("the default dataset " + DEFAULT_DATASET + " is not on the classpath");
            }
            AtomicFiles.write(target, in.readAllBytes());
        }
        return target;
    }
}
