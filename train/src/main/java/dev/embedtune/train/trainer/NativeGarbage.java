package dev.embedtune.train.trainer;

import java.util.function.LongSupplier;

/**
 * Frees native memory that only the garbage collector can free. ND4J releases an array's native
 * buffer when the collector finds the array unreachable, and a training step leaves few objects on
 * the heap, so the collector may not run for many steps while each step's small native temporaries
 * (loss, pooling, optimizer and clipping results) pile up: 0.6 GB in the main job. After each step
 * the trainer asks {@link #afterStep}; when the resident memory has grown by {@link #GROWTH_BYTES}
 * since the last collection settled, it collects once (a full collection of a small heap: tens of
 * milliseconds). The new baseline is read one step later, once ND4J's deallocator has freed what
 * the collection found.
 */
final class NativeGarbage {
    /** Growth of the resident memory that starts a collection. */
    static final long GROWTH_BYTES = 192L << 20;

    private final LongSupplier resident;
    private final Runnable collect;
    private long baseline;
    private boolean settling;

    NativeGarbage() {
        this(MemoryPlan::residentBytes, System::gc);
    }

    NativeGarbage(LongSupplier resident, Runnable collect) {
        this.resident = resident;
        this.collect = collect;
        this.baseline = resident.getAsLong();
    }

    /** Called after every optimizer step. */
    void afterStep() {
        long now = resident.getAsLong();
        if (settling) {
            baseline = now;
            settling = false;
        } else if (now > baseline + GROWTH_BYTES) {
            collect.run();
            settling = true;
        }
    }
}
