package dev.embedtune.bench;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.st.ModelDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@code Embedder} (all-MiniLM-L6-v2) serving several request threads at once: each call embeds 32
 * texts of exactly {@code tokens} tokens (128), from 1, 2 or 8 calling threads. One op is one text;
 * the figure is the total throughput over all threads, so a pool that scales shows 2 and 8 threads at
 * least as fast as 1 on this 2-core machine. (Unless the suite's --threads overrides JMH's @Threads.)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class EmbedderThreadsBenchmark {
    static final int BATCH = 32;

    @Param({"128"})
    public int tokens;

    private Embedder embedder;
    private List<String> texts;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = ModelCache.builtin(BuiltinModel.ALL_MINILM_L6_V2);
        embedder = Embedder.load(dir, new Embedder.Options(BATCH, tokens, null));
        texts = ExactLengthTexts.of(Embedder.tokenizer(ModelDirectory.read(dir), tokens), BATCH, tokens, 42);
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public float[][] callingThreads1() {
        return embedder.encode(texts);
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public float[][] callingThreads2() {
        return embedder.encode(texts);
    }

    @Benchmark
    @Threads(8)
    @OperationsPerInvocation(BATCH)
    public float[][] callingThreads8() {
        return embedder.encode(texts);
    }
}
