package dev.embedtune.spark;

import dev.embedtune.model.embed.Embedder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The models an executor JVM holds: each loaded once, on first use, and kept for every later task and
 * stage (and for later jobs of the same application), keyed by its spec (model path, quantisation,
 * options). Loading a model costs seconds and its weights hundreds of MB; a task must never pay for it.
 *
 * <p>Tasks of one JVM share a model: {@link Embedder#encode} runs one forward at a time, so tasks on
 * a multi-core executor take turns on it while ND4J's own threads use the cores (run one task per
 * executor: {@code spark.task.cpus} = {@code spark.executor.cores}).
 */
public final class ExecutorModels {

    private static final Map<Object, Object> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {
    }

    /** The embedder of {@code spec}, loaded on first use in this JVM. */
    public static Embedder embedder(ModelSpec spec) {
        return get(spec, () -> {
            try {
                return spec.load();
            } catch (IOException e) {
                throw new UncheckedIOException("executor could not load the model " + spec.modelDir()
                        + " (it must exist on every executor: a shared filesystem, or --archives)", e);
            }
        });
    }

    /** The object cached under {@code key}, created by {@code loader} once per JVM. */
    @SuppressWarnings("unchecked")
    static <T> T get(Object key, Supplier<T> loader) {
        return (T) MODELS.computeIfAbsent(key, k -> {
            LOADS.incrementAndGet();
            return loader.get();
        });
    }

    /** Forgets every model, as a fresh executor JVM would start (tests of a restarted application). */
    static void clear() {
        MODELS.clear();
    }

    /** How many models this JVM has loaded (tests check that tasks and stages reuse them). */
    public static int loads() {
        return LOADS.get();
    }
}
