package dev.embedtune.model.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.Encoder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The caller that finds the encoder free runs the merged passes only until its own batch is done:
 * under a steady stream of other callers' requests it still gets its answer, instead of serving
 * everybody else for as long as requests keep coming (what an 8-thread benchmark hit: one JMH
 * thread never returned).
 */
class SharedForwardTest {

    /** A stand-in encoder: hidden[b, t, 0] = the id, 20 ms a pass; the first pass waits for a gate. */
    private static final class SlowEncoder implements Encoder {
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger passes = new AtomicInteger();

        @Override
        public INDArray forward(int[][] ids, int[][] mask, int[][] types) {
            if (passes.getAndIncrement() == 0) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            int b = ids.length, t = ids[0].length;
            INDArray out = Nd4j.create(DataType.FLOAT, b, t, 2);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    out.putScalar(new long[] {i, j, 0}, ids[i][j]);
                }
            }
            return out;
        }
    }

    /** One text of 4,096 tokens: a merged pass holds two such (SharedForward's 8,192 tokens), so six callers keep a queue. */
    private static int[][] ids(int value) {
        int[][] ids = new int[1][4096];
        java.util.Arrays.fill(ids[0], value);
        return ids;
    }

    private static int[][] ones() {
        int[][] mask = new int[1][4096];
        java.util.Arrays.fill(mask[0], 1);
        return mask;
    }

    @Test
    void theFirstCallerReturnsWhileOthersKeepSendingAndEveryAnswerIsItsOwn() throws Exception {
        SlowEncoder encoder = new SlowEncoder();
        SharedForward shared = new SharedForward(encoder);
        int[][] ones = ones();
        long[] leaderMillis = new long[1];
        INDArray[] leaderAnswer = new INDArray[1];
        Thread leader = new Thread(() -> {
            long start = System.nanoTime();
            leaderAnswer[0] = shared.forward(ids(7), ones, new int[1][4096]);
            leaderMillis[0] = (System.nanoTime() - start) / 1_000_000;
        });
        leader.start();
        while (encoder.passes.get() == 0) {
            Thread.sleep(1);                      // the leader holds the encoder, blocked in its first pass
        }
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger wrong = new AtomicInteger(), answered = new AtomicInteger();
        List<Thread> others = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            int id = 100 + c;
            Thread t = new Thread(() -> {
                while (flooding.get()) {
                    INDArray h = shared.forward(ids(id), ones, new int[1][4096]);
                    if (h.getFloat(0, 0, 0) != id || h.getFloat(0, 4095, 0) != id) {
                        wrong.incrementAndGet();
                    }
                    answered.incrementAndGet();
                }
            });
            others.add(t);
            t.start();
        }
        Thread.sleep(50);                         // the others' requests are queued behind the leader's pass
        encoder.gate.countDown();
        leader.join(5_000);                       // others keep sending for up to 5 s
        boolean leaderReturnedWhileFlooding = !leader.isAlive() && flooding.get();
        flooding.set(false);
        leader.join();
        for (Thread t : others) {
            t.join();
        }
        assertTrue(leaderReturnedWhileFlooding, "the first caller returned while others kept sending (" + leaderMillis[0] + " ms)");
        assertEquals(7f, leaderAnswer[0].getFloat(0, 4095, 0), "the leader's own answer");
        assertEquals(0, wrong.get(), "every caller got its own rows");
        assertTrue(answered.get() > 0, "the others were served");
    }
}
