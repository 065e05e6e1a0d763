package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The trainer collects once the resident memory has grown by the threshold, then waits for it to settle. */
class NativeGarbageTest {
    @Test
    void collectsOnceTheGrowthPassesTheThresholdAndRebasesAStepLater() {
        AtomicLong rss = new AtomicLong(1_000L << 20);
        AtomicInteger collections = new AtomicInteger();
        NativeGarbage garbage = new NativeGarbage(rss::get, () -> {
            collections.incrementAndGet();
            rss.addAndGet(-(150L << 20));                    // what the collection frees, seen at the next step
        });
        rss.addAndGet(NativeGarbage.GROWTH_BYTES);           // exactly the threshold: not yet
        garbage.afterStep();
        assertEquals(0, collections.get());
        rss.addAndGet(1);
        garbage.afterStep();
        assertEquals(1, collections.get());
        garbage.afterStep();                                 // settling: the baseline is read here
        rss.addAndGet(NativeGarbage.GROWTH_BYTES);
        garbage.afterStep();
        assertEquals(1, collections.get(), "growth up to the threshold above the settled baseline collects nothing");
        rss.addAndGet(1);
        garbage.afterStep();
        assertEquals(2, collections.get());
    }
}
