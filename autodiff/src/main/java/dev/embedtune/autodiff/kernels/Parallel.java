package dev.embedtune.autodiff.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs the CPU kernels' independent tasks on the machine's cores, so that the results never depend
 * on the schedule:
 * <ul>
 *   <li>a task writes only its own outputs (rows, a (sequence, head) block, one partial sum), so
 *       which thread runs it and when cannot change a bit;</li>
 *   <li>a reduction across tasks (a bias or LayerNorm gradient summed over rows) is done by the
 *       caller over per-task partials, in task order; tasks are cut by a fixed row count, not by
 *       the number of threads.</li>
 * </ul>
 * The caller takes part; {@code threads − 1} daemon workers help. Kernels run between OpenBLAS calls,
 * when OpenBLAS's own threads sleep, so the two never compete for the cores. A task that itself
 * calls {@link #forEach} runs its inner tasks in its own thread. {@code -Dembedtune.threads=N} sets
 * the thread count (default: available processors).
 */
public final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("embedtune.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ExecutorService WORKERS = THREADS == 1 ? null : Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(r, "embedtune-kernel");
        t.setDaemon(true);
        return t;
    });
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    private Parallel() {
    }

    /** Threads the kernels use. */
    public static int threads() {
        return THREADS;
    }

    /** Runs {@code task.accept(i)} once for every i in [0, tasks), on up to {@link #threads()} threads. */
    public static void forEach(int tasks, IntConsumer task) {
        if (tasks <= 0) {
            return;
        }
        if (THREADS == 1 || tasks == 1 || INSIDE.get()) {
            for (int i = 0; i < tasks; i++) {
                task.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        Throwable[] failure = new Throwable[1];
        Runnable claim = () -> {
            INSIDE.set(true);
            try {
                for (int i; (i = next.getAndIncrement()) < tasks; ) {
                    try {
                        task.accept(i);
                    } catch (Throwable e) {
                        synchronized (failure) {
                            if (failure[0] == null) {
                                failure[0] = e;
                            }
                        }
                    } finally {
                        done.incrementAndGet();
                    }
                }
            } finally {
                INSIDE.set(false);
            }
        };
        int helpers = Math.min(THREADS, tasks) - 1;
        for (int h = 0; h < helpers; h++) {
            WORKERS.execute(claim);
        }
        claim.run();
        // every task has been claimed; wait for the ones other threads are still running
        while (done.get() < tasks) {
            Thread.onSpinWait();
        }
        if (failure[0] instanceof RuntimeException e) {
            throw e;
        } else if (failure[0] instanceof Error e) {
            throw e;
        } else if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
    }

    /** Splits [0, n) into chunks of {@code chunk} (the last may be shorter) and runs each as a task. */
    public static void forEachChunk(int n, int chunk, ChunkTask task) {
        int chunks = (n + chunk - 1) / chunk;
        forEach(chunks, c -> task.run(c, c * chunk, Math.min(n, (c + 1) * chunk)));
    }

    /** A task over rows [from, to), numbered {@code index} among its siblings. */
    @FunctionalInterface
    public interface ChunkTask {
        void run(int index, int from, int to);
    }
}
