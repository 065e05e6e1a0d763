package dev.embedtune.model.embed;

import dev.embedtune.model.Encoder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One encoder shared by every thread that calls an {@link Embedder}. A forward pass already uses
 * every core (OpenBLAS and the kernels split it), so passes run one at a time; batches that arrive
 * while one runs wait and are merged into the next pass. Callers that each send a few texts are thus
 * served by one larger batch (the GEMMs run at their best on many rows), and since the encoder
 * computes each sequence on its own real tokens, a text's vector does not depend on what it was
 * batched with. Tokenising stays in the callers' threads, beside the running pass; each caller's
 * {@code use} (pooling) runs in the pass's thread on the encoder's output buffer while it is valid.
 *
 * <p>There is no thread of its own: whoever finds the encoder free runs merged passes of what is
 * waiting until its own batch is done, then leaves the encoder to the next waiting caller (running
 * until nothing waits would keep a caller serving others for as long as requests keep coming).
 */
final class SharedForward {
    /** Real tokens one merged pass may hold (a pass of 32 × 256 tokens); a larger batch runs alone. */
    private static final int MAX_TOKENS = 8192;

    private final Encoder encoder;
    private final ReentrantLock running = new ReentrantLock();
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();

    SharedForward(Encoder encoder) {
        this.encoder = encoder;
    }

    /** One caller's batch, what it does with its last_hidden_state and, once run, the result. */
    private static final class Job {
        final int[][] ids, mask, types;
        final Function<INDArray, ?> use;
        final int tokens;
        final CountDownLatch done = new CountDownLatch(1);
        Object result;
        RuntimeException failure;

        Job(int[][] ids, int[][] mask, int[][] types, Function<INDArray, ?> use) {
            this.ids = ids;
            this.mask = mask;
            this.types = types;
            this.use = use;
            int n = 0;
            for (int[] row : mask) {
                for (int m : row) {
                    n += m;
                }
            }
            this.tokens = n;
        }
    }

    /** last_hidden_state [B, T, H] of one batch ([B, T] ids, mask and token types), as {@link Encoder#forward}. */
    INDArray forward(int[][] ids, int[][] mask, int[][] types) {
        return forward(ids, mask, types, INDArray::dup);
    }

    /**
     * {@code use} applied to one batch's last_hidden_state [B, T, H], as
     * {@link Encoder#forward(int[][], int[][], int[][], Function)}: the array is valid only during
     * the call.
     */
    @SuppressWarnings("unchecked")
    <R> R forward(int[][] ids, int[][] mask, int[][] types, Function<INDArray, R> use) {
        Job job = new Job(ids, mask, types, use);
        synchronized (waiting) {
            waiting.add(job);
        }
        try {
            while (job.done.getCount() > 0) {
                if (running.tryLock()) {
                    try {
                        runUntilDone(job);
                    } finally {
                        running.unlock();
                    }
                } else {
                    job.done.await(1, TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the encoder", e);
        }
        if (job.failure != null) {
            throw job.failure;
        }
        return (R) job.result;
    }

    /** Runs merged passes, oldest batches first, until {@code own} has run (it is then no longer waiting). */
    private void runUntilDone(Job own) {
        while (own.done.getCount() > 0) {
            List<Job> jobs = new ArrayList<>();
            synchronized (waiting) {
                int tokens = 0;
                while (!waiting.isEmpty() && (jobs.isEmpty() || tokens + waiting.peek().tokens <= MAX_TOKENS)) {
                    Job next = waiting.poll();
                    tokens += next.tokens;
                    jobs.add(next);
                }
            }
            if (jobs.isEmpty()) {
                return;
            }
            try {
                run(jobs);
            } catch (RuntimeException e) {
                jobs.forEach(j -> j.failure = e);
            } finally {
                jobs.forEach(j -> j.done.countDown());
            }
        }
    }

    private void run(List<Job> jobs) {
        if (jobs.size() == 1) {
            Job job = jobs.get(0);
            job.result = encoder.forward(job.ids, job.mask, job.types, job.use);
            return;
        }
        int rows = 0, length = 0;
        for (Job job : jobs) {
            rows += job.ids.length;
            length = Math.max(length, job.ids.length == 0 ? 0 : job.ids[0].length);
        }
        int[][] ids = new int[rows][length], mask = new int[rows][length], types = new int[rows][length];
        int r = 0;
        for (Job job : jobs) {
            for (int i = 0; i < job.ids.length; i++, r++) {
                System.arraycopy(job.ids[i], 0, ids[r], 0, job.ids[i].length);
                System.arraycopy(job.mask[i], 0, mask[r], 0, job.mask[i].length);
                System.arraycopy(job.types[i], 0, types[r], 0, job.types[i].length);
            }
        }
        encoder.forward(ids, mask, types, hidden -> {                            // [rows, length, H]
            int at = 0;
            for (Job job : jobs) {
                int b = job.ids.length, t = b == 0 ? 0 : job.ids[0].length;
                // a copy: ND4J's indexing misreads views of views (Pooling indexes what it is given)
                job.result = job.use.apply(hidden.get(NDArrayIndex.interval(at, at + b), NDArrayIndex.interval(0, t),
                        NDArrayIndex.all()).dup());
                at += b;
            }
            return null;
        });
    }
}
