package dev.embedtune.bench.suite;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.quant.NativeRuntime;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs the JMH suite (every benchmark in {@code dev.embedtune.bench}, or those matching the
 * given patterns) in quick or full mode, then the PyTorch peers ({@link PythonPeer}) at the same
 * shapes, and turns it all into one {@link ResultFile}.
 *
 * <p>Quick mode also shrinks the workloads through JMH parameters ({@link #QUICK_PARAMS}); each
 * benchmark's entry states the parameters it ran with, so quick figures are never mistaken for
 * full ones. The peers' shapes follow the same table.
 */
public final class SuiteRunner {

    /** How long the suite runs. */
    public enum Mode {
        /**
         * A smoke run under two minutes: in-process (no fork), one warm-up and two measurements of
         * 0.3 s (an iteration lasts at least one invocation), smaller shapes. In-process, each
         * entry's peak RSS is the suite JVM's high-water mark so far, not the benchmark's own.
         */
        QUICK,
        /** The figures for docs/BENCHMARKS.md: forked, 3 warm-ups and 5 measurements of 5 s. */
        FULL
    }

    /**
     * The JMH parameters quick mode overrides (full mode uses each benchmark's declared defaults).
     * A benchmark's unit of work stays the same (a text stays a text) so items/s keep their meaning;
     * only its size shrinks.
     */
    static final Map<String, String> QUICK_PARAMS = Map.ofEntries(
            Map.entry("tokens", "32"),              // Embedding/EmbedderThreads: 32 texts × 32 tokens (full: × 128)
            Map.entry("maxTokens", "32"),           // EmbeddingCorpusBenchmark: passages truncated at 32 (full: 256)
            Map.entry("corpusLimit", "64"),         // EmbeddingCorpusBenchmark: the first 64 passages (full: all)
            Map.entry("model", "all-minilm-l6-v2"), // EmbeddingCorpusBenchmark: MiniLM only (full: bge-small too)
            Map.entry("passageLimit", "1000"),      // TokenizerBenchmark: the first 1,000 passages (full: all)
            Map.entry("corpusSize", "20000"),       // InformationRetrievalEvaluatorBenchmark (full: 100,000)
            Map.entry("queries", "200"),            // InformationRetrievalEvaluatorBenchmark (full: 1,000)
            Map.entry("bm25Pairs", "500"),          // HardNegativeMiningBenchmark: first 500 Jargon pairs (full: all)
            Map.entry("denseQueries", "1000"),      // HardNegativeMiningBenchmark dense (full: 10,000)
            Map.entry("denseCorpus", "5000"),       // HardNegativeMiningBenchmark dense (full: 20,000)
            Map.entry("jargonBatches", "2"),        // TrainingJargonBenchmark: the first 2 batches (full: all)
            Map.entry("trainPairs", "8"),           // training step and its peers (full: 32)
            Map.entry("trainTokens", "64"));        // training step and its peers (full: 128)

    /**
     * Benchmarks whose one op is a pass over a whole corpus (tens of seconds): the full suite runs them
     * with one warm-up and two measured iterations, each iteration one op, instead of 3 + 5 × 5 s.
     */
    static final List<String> WHOLE_CORPUS = List.of("dev\\.embedtune\\.bench\\.EmbeddingCorpusBenchmark\\..*");

    /** Every benchmark of the suite (the classes directly in dev.embedtune.bench). */
    static final String ALL = "dev\\.embedtune\\.bench\\.[A-Z][A-Za-z0-9]*\\..*";

    private static final String B = "dev.embedtune.bench.";
    static final List<String> INFERENCE_BENCHMARKS = List.of(B + "EmbeddingBenchmark.embedderBatch32",
            B + "EmbeddingBenchmark.oursLayerwiseBatch32", B + "EmbeddingBenchmark.oursNf4Batch32",
            B + "EmbeddingBenchmark.onnxRuntimeBatch32");
    static final List<String> CORPUS_BENCHMARKS = List.of(B + "EmbeddingCorpusBenchmark.embedderJargon",
            B + "EmbeddingCorpusBenchmark.onnxRuntimeJargon");
    /** The eval-mode training steps (no dropout), float32 and NF4 bases. */
    static final List<String> TRAINING_STEP_BENCHMARKS = List.of(B + "TrainingStepBenchmark.training_step_lora_fp32_matryoshka",
            B + "TrainingStepBenchmark.training_step_qlora_nf4_matryoshka", B + "TrainingStepBenchmark.training_step_lora_fp32",
            B + "TrainingStepBenchmark.training_step_qlora_nf4");
    /** The train-mode steps (model dropout and LoRA dropout 0.1). */
    static final List<String> TRAIN_MODE_BENCHMARKS = List.of(B + "TrainingStepBenchmark.training_step_lora_fp32_matryoshka_dropout",
            B + "TrainingStepBenchmark.training_step_qlora_nf4_matryoshka_dropout", B + "TrainingStepBenchmark.training_step_qlora_nf4_dropout");
    static final List<String> JARGON_TRAINING_BENCHMARKS = List.of(B + "TrainingJargonBenchmark.training_step_jargon_qlora_nf4");
    static final List<String> GEMM_BENCHMARKS = List.of(B + "Nd4jKernelsBenchmark.gemmFfn");

    private SuiteRunner() {
    }

    /**
     * The real peers of a run (st_peer.py in the peer venv): sentence-transformers + PEFT on current
     * PyTorch and ONNX Runtime (Python), at the shapes of the JMH benchmarks they stand beside. Quick
     * mode runs three small ones.
     */
    static List<PythonPeer.Spec> peerSpecs(Mode mode, int peerThreads) {
        boolean quick = mode == Mode.QUICK;
        int pairs = quick ? Integer.parseInt(QUICK_PARAMS.get("trainPairs")) : 32;
        int trainTokens = quick ? Integer.parseInt(QUICK_PARAMS.get("trainTokens")) : 128;
        int tokens = quick ? Integer.parseInt(QUICK_PARAMS.get("tokens")) : 128;
        String minilm = BuiltinModel.ALL_MINILM_L6_V2.id();
        List<PythonPeer.Spec> specs = new ArrayList<>();
        specs.add(st("st_train_step_eval", "train-step", minilm, pairs, trainTokens, peerThreads, quick ? 1 : 2,
                quick ? 2 : 5, List.of(), TRAINING_STEP_BENCHMARKS));
        specs.add(st("st_encode_batch32", "encode-batch", minilm, 32, tokens, peerThreads, quick ? 1 : 3, quick ? 2 : 10,
                List.of(), INFERENCE_BENCHMARKS));
        specs.add(st("ort_python_batch32", "ort-batch", minilm, 32, tokens, peerThreads, quick ? 1 : 3, quick ? 2 : 10,
                List.of("--onnx", "{onnx:" + minilm + "}"), INFERENCE_BENCHMARKS));
        if (quick) {
            return specs;
        }
        specs.add(st("st_train_step_train", "train-step", minilm, pairs, trainTokens, peerThreads, 2, 5,
                List.of("--train-mode"), TRAIN_MODE_BENCHMARKS));
        specs.add(st("st_trainer", "trainer", minilm, pairs, trainTokens, peerThreads, 2, 5, List.of(), TRAIN_MODE_BENCHMARKS));
        specs.add(st("st_train_jargon", "train-batches", minilm, 32, 128, peerThreads, 2, 10,
                List.of("--batches", "{jargon-batches}", "--max-seq-length", "128", "--train-mode", "--lora-dropout", "0"),
                JARGON_TRAINING_BENCHMARKS));
        for (BuiltinModel m : BuiltinModel.values()) {
            specs.add(st("st_encode_jargon", "encode-corpus", m.id(), 32, 256, peerThreads, 1, 2,
                    List.of("--texts", "{jargon}", "--max-seq-length", "256"), CORPUS_BENCHMARKS));
            specs.add(st("ort_python_jargon", "ort-corpus", m.id(), 32, 256, peerThreads, 1, 2,
                    List.of("--texts", "{jargon}", "--max-seq-length", "256", "--onnx", "{onnx:" + m.id() + "}",
                            "--tokenizer", "{tokenizer:" + m.id() + "}"), CORPUS_BENCHMARKS));
        }
        specs.add(st("st_env_gemm", "env", minilm, 1, 1, peerThreads, 3, 10, List.of(), GEMM_BENCHMARKS));
        return specs;
    }

    /** A peer of st_peer.py: the model directory, shape and iteration counts, and mode-specific arguments. */
    private static PythonPeer.Spec st(String id, String mode, String model, int batch, int tokens, int threads, int warmup,
            int iterations, List<String> extra, List<String> comparesTo) {
        List<String> args = new ArrayList<>(List.of("--mode", mode, "--model-dir", "{model:" + model + "}",
                "--batch", String.valueOf(batch), "--tokens", String.valueOf(tokens), "--threads", String.valueOf(threads),
                "--warmup", String.valueOf(warmup), "--iterations", String.valueOf(iterations)));
        args.addAll(extra);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("mode", mode + (extra.contains("--train-mode") ? " (train mode)" : ""));
        params.put("model", model);
        params.put("batch", String.valueOf(batch));
        params.put("tokens", String.valueOf(tokens));
        params.put("threads", String.valueOf(threads));
        params.put("warmup", String.valueOf(warmup));
        params.put("iterations", String.valueOf(iterations));
        return new PythonPeer.Spec(id, PythonPeer.ST_SCRIPT, args, params, threads, iterations, PEER_ENVIRONMENT, comparesTo);
    }

    /**
     * The peers' environment beyond the thread counts: the fastest configuration found on the project's
     * machine (see docs/BENCHMARKS.md, "Peers (December)"). PyTorch's GNU OpenMP threads spin-wait by
     * default; on a 2-core machine shared with other work that made a step 5–8× slower than with passive
     * waiting (the setting ND4J runs with too). MKL's AVX-512 kernels on AMD come from PeerVenv.mklOnAmd.
     */
    static final Map<String, String> PEER_ENVIRONMENT = Map.of("OMP_WAIT_POLICY", "PASSIVE");

    /**
     * The fallback peers (bert_peer.py: a plain-torch BERT, e.g. on Debian's python3-torch 1.13), run only
     * when the real peers cannot: named as such in the result file.
     */
    static List<PythonPeer.Spec> fallbackSpecs(Mode mode, int peerThreads) {
        boolean quick = mode == Mode.QUICK;
        int warmup = quick ? 1 : 3, iterations = quick ? 2 : 10;
        int inferenceTokens = quick ? Integer.parseInt(QUICK_PARAMS.get("tokens")) : 128;
        return List.of(
                PythonPeer.Spec.plainTorch("fallback_plain_torch_inference", "inference", "minilm", 32, inferenceTokens,
                        peerThreads, warmup, iterations, INFERENCE_BENCHMARKS),
                PythonPeer.Spec.plainTorch("fallback_plain_torch_train_step", "train-step", "minilm",
                        quick ? Integer.parseInt(QUICK_PARAMS.get("trainPairs")) : 32,
                        quick ? Integer.parseInt(QUICK_PARAMS.get("trainTokens")) : 128,
                        peerThreads, quick ? 1 : 2, quick ? 2 : 5, TRAINING_STEP_BENCHMARKS));
    }

    /** A peer runs when no pattern is given, or a pattern finds its id or a benchmark it stands beside. */
    static boolean selected(PythonPeer.Spec spec, List<String> includes) {
        if (includes.isEmpty()) {
            return true;
        }
        for (String include : includes) {
            Pattern p = Pattern.compile(include);
            if (p.matcher(spec.id()).find() || spec.comparesTo().stream().anyMatch(c -> p.matcher(c).find())) {
                return true;
            }
        }
        return false;
    }

    /** The suite with its peers on as many threads as the machine has cores. */
    public static ResultFile run(Mode mode, List<String> includes, int threads) throws RunnerException {
        return run(mode, includes, threads, Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param threads     JMH threads per benchmark (0 = each benchmark's own, JMH's default of 1)
     * @param peerThreads torch threads of the peers; 0 runs no peer (they are then absent from the file)
     */
    public static ResultFile run(Mode mode, List<String> includes, int threads, int peerThreads)
            throws RunnerException {
        NativeRuntime.configure();   // before ND4J loads in this JVM (quick mode runs in-process), as embedtune's entry points do
        List<String> patterns = includes.isEmpty() ? List.of(ALL) : includes;
        List<String> standard = benchmarks(patterns, WHOLE_CORPUS, false);
        List<String> corpus = benchmarks(patterns, WHOLE_CORPUS, true);
        List<PythonPeer.Spec> peerSpecs = peerThreads <= 0 ? List.of()
                : peerSpecs(mode, peerThreads).stream().filter(s -> selected(s, includes)).toList();
        if (standard.isEmpty() && corpus.isEmpty() && peerSpecs.isEmpty()) {
            throw new IllegalArgumentException("no benchmark or peer matches " + includes);
        }
        List<BenchmarkResult> rows = new ArrayList<>();
        if (!standard.isEmpty()) {
            for (RunResult r : new Runner(options(mode, standard, threads, false)).run()) {
                rows.add(toResult(r));
            }
        }
        if (!corpus.isEmpty()) {
            for (RunResult r : new Runner(options(mode, corpus, threads, true)).run()) {
                rows.add(toResult(r));
            }
        }
        List<PeerResult> peers = new ArrayList<>();
        if (!peerSpecs.isEmpty()) {
            peers.addAll(runPeers(mode, peerSpecs, peerThreads, includes, rows));
        }
        return new ResultFile(mode.name().toLowerCase(), MachineInfo.detect().toMap(), rows, peers);
    }

    /** The real peers in the peer venv; when it is not there, the fallback peers, with the reason in their notes. */
    private static List<PeerResult> runPeers(Mode mode, List<PythonPeer.Spec> specs, int peerThreads, List<String> includes,
            List<BenchmarkResult> rows) {
        List<PeerResult> peers = new ArrayList<>();
        PythonPeer.Interpreter venv = mode == Mode.QUICK ? PeerVenv.ifReady() : PeerVenv.ensure();
        long timeout = mode == Mode.QUICK ? 300 : 3600;
        Map<String, String> mklOnAmd = venv.command() == null ? Map.of() : PeerVenv.mklOnAmd();
        if (venv.command() != null && mklOnAmd.isEmpty() && PeerVenv.lacksMklOverride(PeerVenv.location())) {
            System.out.println("peers: WARNING the MKL override was not built into " + PeerVenv.location()
                    + ": torch's MKL runs its generic AMD kernels (about half its sgemm rate here)");
        }
        try (PeerInputs inputs = new PeerInputs()) {
            for (PythonPeer.Spec spec : specs) {
                if (!mklOnAmd.isEmpty() && !spec.mode().startsWith("ort")) {
                    spec = spec.withEnvironment(mklOnAmd);   // torch's MKL: its AVX-512 kernels on AMD too
                }
                PeerResult r;
                try {
                    r = PythonPeer.run(spec, venv, timeout, inputs);
                } catch (java.io.UncheckedIOException e) {
                    r = PythonPeer.failed(spec, e.getMessage());
                }
                peers.add(withPartnerNote(r, rows));
            }
        }
        if (venv.command() == null) {
            PythonPeer.Interpreter python = PythonPeer.findPython();
            for (PythonPeer.Spec spec : fallbackSpecs(mode, peerThreads)) {
                if (selected(spec, includes)) {
                    PeerResult r = PythonPeer.run(spec, python, mode == Mode.QUICK ? 300 : 3600);
                    peers.add(withPartnerNote(r.withNote(r.note() + " [run because the real peers were skipped: "
                            + venv.skipReason() + "]"), rows));
                }
            }
        }
        return peers;
    }

    /** The benchmarks matching {@code patterns}, those in {@code group} or those not in it. */
    static List<String> benchmarks(List<String> patterns, List<String> group, boolean inGroup) {
        List<String> out = new ArrayList<>();
        for (BenchmarkListEntry e : BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), patterns, List.of())) {
            String name = e.getUsername();
            boolean member = group.stream().anyMatch(g -> Pattern.compile(g).matcher(name).find());
            if (member == inGroup && !out.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    private static org.openjdk.jmh.runner.options.Options options(Mode mode, List<String> names, int threads, boolean corpus) {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .addProfiler(PeakMemoryProfiler.class)
                .shouldFailOnError(true)
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector");
        names.forEach(n -> options.include("^" + Pattern.quote(n) + "$"));
        if (mode == Mode.QUICK) {
            // In-process keeps the smoke run inside two minutes: the JVM and ND4J start once.
            options.forks(0).warmupIterations(1).warmupTime(TimeValue.milliseconds(300))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(300));
            QUICK_PARAMS.forEach(options::param);
        } else if (corpus) {
            options.forks(1).warmupIterations(1).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(2).measurementTime(TimeValue.seconds(1));
        } else {
            options.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(5))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(5));
        }
        if (threads > 0) {
            options.threads(threads);
        }
        return options.build();
    }

    /** Says in the peer's note when none of the benchmarks it stands beside is in this run. */
    static PeerResult withPartnerNote(PeerResult peer, List<BenchmarkResult> rows) {
        boolean present = rows.stream().anyMatch(b -> peer.comparesTo().stream()
                .anyMatch(c -> b.name().equals(c) || b.name().endsWith("." + c)));
        if (present) {
            return peer;
        }
        return peer.withNote(peer.note() + " [no JMH benchmark it compares to (" + String.join(", ", peer.comparesTo())
                + ") is in this run]");
    }

    /** The auxiliary counter that, when a benchmark has it, is its items per second (see BenchmarkResult). */
    static final String ITEMS_COUNTER = "items";

    static BenchmarkResult toResult(RunResult run) {
        BenchmarkParams params = run.getParams();
        Result<?> primary = run.getPrimaryResult();
        Map<String, String> jmhParams = new LinkedHashMap<>();
        for (String key : params.getParamsKeys()) {
            jmhParams.put(key, params.getParam(key));
        }
        String unit = primary.getScoreUnit();
        Statistics stats = primary.getStatistics();
        Map<String, Double> latency = new LinkedHashMap<>();
        boolean timePerOp = unit.endsWith("/op");
        for (double p : new double[] {50, 90, 99}) {
            // A throughput's low percentiles are the slow ops: latency p90 comes from throughput p10.
            double value = timePerOp ? stats.getPercentile(p) : stats.getPercentile(100 - p);
            latency.put("p" + (int) p, Units.millisPerOp(value, unit));
        }
        latency.put("max", Units.millisPerOp(timePerOp ? stats.getMax() : stats.getMin(), unit));
        Map<String, Double> secondary = new LinkedHashMap<>();
        double rss = Double.NaN, device = Double.NaN;
        for (Map.Entry<String, Result> e : run.getSecondaryResults().entrySet()) {
            switch (e.getKey()) {
                case PeakMemoryProfiler.RSS -> rss = e.getValue().getScore();
                case PeakMemoryProfiler.DEVICE -> device = e.getValue().getScore();
                default -> secondary.put(e.getKey() + " [" + e.getValue().getScoreUnit() + "]",
                        e.getValue().getScore());
            }
        }
        // A benchmark whose op is not its item (a pass over a corpus) counts items in an auxiliary counter "items".
        double items = Units.opsPerSecond(primary.getScore(), unit);
        Result<?> itemCounter = run.getSecondaryResults().get(ITEMS_COUNTER);
        if (itemCounter != null) {
            items = Units.opsPerSecond(itemCounter.getScore(), itemCounter.getScoreUnit());
        }
        return new BenchmarkResult(params.getBenchmark(), jmhParams, params.getMode().shortLabel(),
                primary.getScore(), primary.getScoreError(), unit, items, latency, rss, device, secondary);
    }
}
