package dev.embedtune.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import dev.embedtune.train.trainer.LoraTrainingModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What Spark costs on one machine, measured in one JVM with the rounds interleaved (local, local[1],
 * local[2], …) so that the ratios hold on a busy machine: corpus embedding throughput against the local
 * {@link Embedder}, and the distributed training step against {@link LoraTrainingModel#forwardBackward},
 * with the bytes moved per step and where the distributed step's time goes (Spark's task metrics, per
 * job: {@link StepListener}). Not JMH: each measured unit is a Spark job of seconds, and JMH's forks
 * would restart Spark; medians of the rounds are reported.
 *
 * <pre>
 * java … -cp spark/target/test-classes:spark/target/classes:… dev.embedtune.spark.SparkOverheadBenchmark MODEL_DIR DATA.jsonl [TEXTS] [ROUNDS]
 * </pre>
 */
public final class SparkOverheadBenchmark {

    public static void main(String[] a) throws Exception {
        Path model = Path.of(a[0]);
        Path data = Path.of(a[1]);
        int n = a.length > 2 ? Integer.parseInt(a[2]) : 256;
        int rounds = a.length > 3 ? Integer.parseInt(a[3]) : 3;
        boolean embedding = a.length <= 4 || !a[4].equals("steps-only");
        ObjectMapper json = new ObjectMapper();
        List<String> passages = new ArrayList<>(), queries = new ArrayList<>();
        for (String line : Files.readAllLines(data)) {
            if (passages.size() == n) {
                break;
            }
            passages.add(json.readTree(line).get("passage").asText());
            queries.add(json.readTree(line).get("query").asText());
        }
        ModelSpec spec = new ModelSpec(model.toString(), "none", 32, 128, null);
        Embedder local = embedding ? ExecutorModels.embedder(spec) : null;   // the same instance the tasks use

        // ---- corpus embedding
        String[] modes = {"Embedder", "local[1]", "local[2]"};
        double[][] seconds = new double[modes.length][rounds];
        for (int r = -1; r < (embedding ? rounds : -1); r++) {   // round -1 warms up
            for (int m = 0; m < modes.length; m++) {
                double t;
                if (m == 0) {
                    long s = System.nanoTime();
                    for (int i = 0; i < passages.size(); i += CorpusEmbedding.DEFAULT_CHUNK) {
                        local.encode(passages.subList(i, Math.min(passages.size(), i + CorpusEmbedding.DEFAULT_CHUNK)));
                    }
                    t = (System.nanoTime() - s) / 1e9;
                } else {
                    SparkSession spark = session(modes[m]);
                    int parts = m;   // one partition per core
                    Dataset<Row> df = spark.createDataset(passages, Encoders.STRING()).toDF("text").repartition(parts).cache();
                    df.count();
                    long s = System.nanoTime();
                    long rows = CorpusEmbedding.embed(df, "text", spec, null, CorpusEmbedding.DEFAULT_CHUNK).count();
                    t = (System.nanoTime() - s) / 1e9;
                    if (rows != passages.size()) {
                        throw new IllegalStateException(rows + " rows");
                    }
                    spark.stop();
                }
                if (r >= 0) {
                    seconds[m][r] = t;
                }
                System.out.printf("round %d %-9s embed %d texts: %.2f s%n", r, modes[m], passages.size(), t);
            }
        }
        double base = median(seconds[0]);
        for (int m = 0; embedding && m < modes.length; m++) {
            double med = median(seconds[m]);
            System.out.printf("EMBED %-9s median %.2f s, %.1f texts/s, %+.1f %% against the Embedder (rounds %s)%n", modes[m], med,
                    passages.size() / med, 100 * (med / base - 1), Arrays.toString(seconds[m]));
        }

        // ---- one training step: 32 pairs, NF4, LoRA r 16 on every linear, max length 64
        // (three models in this JVM: the single-process one, the driver's and the executor's)
        LoraConfig lora = new LoraConfig(16, 32, 0.1, List.of(LoraConfig.ALL_LINEAR), false);
        TrainingSpec ts = TrainingSpec.of(model, lora, BaseQuantization.NF4, 64, true, 42);
        List<List<String>> batch = List.of(queries.subList(0, 32), passages.subList(0, 32));
        LoraTrainingModel single = ts.create();
        SparkSession spark = session("local[2]");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        StepListener listener = new StepListener();
        spark.sparkContext().addSparkListener(listener);
        int[] taskCounts = {2, 4};
        String[] stepModes = {"local step", "local[2], 2 tasks", "local[2], 4 tasks"};
        DistributedTrainingModel[] distributed = new DistributedTrainingModel[taskCounts.length];
        for (int i = 0; i < taskCounts.length; i++) {
            distributed[i] = new DistributedTrainingModel(sc, ts, taskCounts[i], 8);
        }
        double[][] ms = new double[stepModes.length][rounds];
        List<List<String>> profiles = new ArrayList<>();
        for (int i = 0; i < taskCounts.length; i++) {
            profiles.add(new ArrayList<>());
        }
        DistributedTrainingModel.Traffic[] traffic = new DistributedTrainingModel.Traffic[taskCounts.length];
        for (int r = -1; r < rounds; r++) {
            for (int m = 0; m < stepModes.length; m++) {
                var model2 = m == 0 ? single : distributed[m - 1];
                model2.zeroGradients();
                // a changed adapter every round, so the distributed step broadcasts as after an optimizer step
                model2.parameters().values().iterator().next().addi(1e-6);
                listener.reset();
                long s = System.nanoTime();
                model2.forwardBackward(batch, null, new MultipleNegativesRankingLoss(), 1.0, 1000 + r);
                double t = (System.nanoTime() - s) / 1e6;
                if (r >= 0) {
                    ms[m][r] = t;
                }
                String profile = "";
                if (m > 0) {
                    traffic[m - 1] = distributed[m - 1].lastTraffic();
                    spark.sparkContext().listenerBus().waitUntilEmpty();
                    profile = listener.profile(t);
                    if (r >= 0) {
                        profiles.get(m - 1).add(profile);
                    }
                }
                System.out.printf("round %d %-18s step: %.0f ms %s%n", r, stepModes[m], t, profile);
            }
        }
        double step = median(ms[0]);
        for (int m = 0; m < stepModes.length; m++) {
            double med = median(ms[m]);
            System.out.printf("STEP %-18s median %.0f ms, %+.0f ms (%+.1f %%) against the local step (rounds %s)%n", stepModes[m], med,
                    med - step, 100 * (med / step - 1), Arrays.toString(ms[m]));
        }
        for (int i = 0; i < taskCounts.length; i++) {
            DistributedTrainingModel.Traffic tr = traffic[i];
            System.out.printf("BYTES per step (%d tasks, payload): adapters broadcast %,d; tokens to tasks %,d; embeddings to driver %,d;"
                            + " dL/dE to tasks %,d; gradients to driver %,d; total %,d%n", taskCounts[i], tr.parameterBroadcast(),
                    tr.tokensToTasks(), tr.embeddingsToDriver(), tr.gradientsOfEmbeddings(), tr.gradientsToDriver(), tr.total());
            for (String p : profiles.get(i)) {
                System.out.printf("PROFILE %d tasks: %s%n", taskCounts[i], p);
            }
            distributed[i].close();
        }
        spark.stop();
    }

    /**
     * Where a distributed step's time goes, from Spark's own task metrics: per job (embed, then backward)
     * its wall time, the span from its first task's launch to its last task's end (the executor's work:
     * the tasks take turns on the one model), and within the tasks the time to deserialise them, to
     * serialise their results and the result bytes; the step's rest is the driver's own work (tokenising,
     * the adapters' snapshot and broadcast, the loss, summing the gradients).
     */
    static final class StepListener extends SparkListener {
        private final Map<Integer, long[]> jobs = new TreeMap<>();          // job → start, end
        private final Map<Integer, Integer> stageJob = new HashMap<>();
        private final List<long[]> tasks = new ArrayList<>();              // job, launch, finish, deser, ser, bytes, gc, run

        synchronized void reset() {
            jobs.clear();
            stageJob.clear();
            tasks.clear();
        }

        @Override
        public synchronized void onJobStart(SparkListenerJobStart e) {
            jobs.put(e.jobId(), new long[] {e.time(), -1});
            for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(e.stageIds())) {
                stageJob.put((Integer) id, e.jobId());
            }
        }

        @Override
        public synchronized void onJobEnd(SparkListenerJobEnd e) {
            jobs.get(e.jobId())[1] = e.time();
        }

        @Override
        public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
            TaskMetrics tm = e.taskMetrics();
            tasks.add(new long[] {stageJob.getOrDefault(e.stageId(), -1), e.taskInfo().launchTime(), e.taskInfo().finishTime(),
                    tm.executorDeserializeTime(), tm.resultSerializationTime(), tm.resultSize(), tm.jvmGCTime(), tm.executorRunTime()});
        }

        synchronized String profile(double stepMs) {
            StringBuilder out = new StringBuilder();
            long jobsMs = 0;
            for (Map.Entry<Integer, long[]> j : jobs.entrySet()) {
                long first = Long.MAX_VALUE, last = 0, deser = 0, ser = 0, bytes = 0, gc = 0, run = 0;
                int n = 0;
                for (long[] t : tasks) {
                    if (t[0] == j.getKey()) {
                        first = Math.min(first, t[1]);
                        last = Math.max(last, t[2]);
                        deser += t[3];
                        ser += t[4];
                        bytes += t[5];
                        gc += t[6];
                        run += t[7];
                        n++;
                    }
                }
                long wall = j.getValue()[1] - j.getValue()[0];
                jobsMs += wall;
                out.append(String.format("job %d: wall %d ms, tasks' span %d ms (%d tasks, run %d, deserialise %d, serialise %d, gc %d ms,"
                        + " results %,d B), outside the tasks %d ms; ", j.getKey(), wall, last - first, n, run, deser, ser, gc, bytes,
                        wall - (last - first)));
            }
            out.append(String.format("driver outside the jobs %.0f ms", stepMs - jobsMs));
            return out.toString();
        }
    }

    private static SparkSession session(String master) {
        SparkSession s = SparkSession.builder().master(master).appName("bench").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
