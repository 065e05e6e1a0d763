package dev.embedtune.autodiff;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The activation memory of one pass: a single native buffer from which the pass takes its arrays
 * ({@code [rows, cols]} views, contiguous, each starting on a 64-byte boundary) in order. A batch of another size
 * re-takes them from the start, so nothing is allocated per batch; the buffer is allocated at
 * exactly what the first batch needs, grows only when a later batch needs more than it holds (to
 * 5/4 of that, so a run's slowly rising lengths do not grow it every time) and is freed with the pass. Memory thus follows the batch's real tokens, not the
 * longest batch padded.
 *
 * <p>Taking past the end throws {@link Full}; {@link #fit} then grows the buffer once to what the whole pass takes and takes everything again.
 * Arrays are not cleared when re-taken: every user writes before it reads.
 */
public final class Arena {
    private static final long ALIGN = 16;                    // elements: 64 bytes of FLOAT
    private final DataType type;
    private final boolean counting;                          // measures what would be taken, holds nothing
    private INDArray backing;                                // [base + capacity]
    private long base;                                       // elements before the first 64-byte boundary
    private long used;

    public Arena(DataType type) {
        this(type, false);
    }

    private Arena(DataType type, boolean counting) {
        this.type = type;
        this.counting = counting;
    }

    /**
     * The bytes {@code build} would take, measured without allocating: its takes return null, so it
     * must only take, never touch the arrays (constructors of activation sets qualify).
     */
    public static long measure(DataType type, java.util.function.Consumer<Arena> build) {
        Arena counter = new Arena(type, true);
        build.accept(counter);
        return counter.used * type.width();
    }

    /** Thrown by {@link #take} when the buffer is too small; {@link #needed} tells how much the pass wants so far. */
    public static final class Full extends RuntimeException {
        private final long needed;

        Full(long needed) {
            super(null, null, false, false);
            this.needed = needed;
        }

        public long needed() {
            return needed;
        }
    }

    /**
     * An arena just large enough for what {@code build} takes (measured by a counting run of
     * {@code build}; the caller runs it again on the returned arena).
     */
    public static Arena sized(DataType type, java.util.function.Consumer<Arena> build) {
        Arena arena = new Arena(type);
        arena.allocate(Math.max(ALIGN, measure(type, build) / type.width()));
        return arena;
    }

    /**
     * Runs {@code build} on this arena from its start. When the buffer is too small, a counting run
     * of {@code build} measures what it takes in all and the buffer grows once to that (growing by
     * what the failed attempt had taken so far would re-allocate and clear the buffer once per
     * array: quadratic in the pass's size).
     */
    public void fit(java.util.function.Consumer<Arena> build) {
        reset();
        try {
            build.accept(this);
        } catch (Full e) {
            long needed = measure(type, build) / type.width();
            if (backing == null) {
                allocate(Math.max(ALIGN, needed));   // the first batch: exactly its size (a long-text pass is GBs)
            } else {
                grow(needed);                         // a larger batch later: with room for the next
            }
            reset();
            build.accept(this);
        }
    }

    public DataType dataType() {
        return type;
    }

    /** Starts taking from the beginning again (earlier arrays must no longer be used). */
    public void reset() {
        used = 0;
    }

    /** A [rows, cols] array from the buffer. */
    public INDArray take(long rows, long cols) {
        long n = rows * cols, start = used;
        used = (start + n + ALIGN - 1) / ALIGN * ALIGN;
        if (counting) {
            return null;
        }
        if (backing == null || base + used > backing.length()) {
            throw new Full(used);
        }
        return backing.get(NDArrayIndex.interval(base + start, base + start + n)).reshape('c', rows, cols);
    }

    /** Makes room for at least {@code elements} (the old arrays become invalid). */
    public void grow(long elements) {
        allocate(Math.max(ALIGN, elements + elements / 4));
    }

    private void allocate(long elements) {
        close();
        // Not cleared: every user writes before it reads, and clearing 1.5 GB (a MiniLM step at
        // 64 × 128 tokens) costs a second of the first step.
        backing = Nd4j.createUninitialized(type, elements + ALIGN);
        base = elementsToBoundary(backing);
        used = 0;
    }

    /**
     * Elements from the buffer's start to its first 64-byte boundary. ND4J's allocator returns 16-byte
     * aligned memory, and a 64-byte vector load or store (AVX-512) off a cache-line boundary touches
     * two lines: the Vector API kernels made a MiniLM training step 4 % slower for it (OpenBLAS, which
     * packs its operands, was not affected).
     */
    private static long elementsToBoundary(INDArray buffer) {
        long width = buffer.dataType().width(), misaligned = buffer.data().address() % 64;
        return misaligned == 0 || (64 - misaligned) % width != 0 ? 0 : (64 - misaligned) / width;
    }

    /** Elements held (the buffer's capacity). */
    public long capacity() {
        return backing == null ? 0 : backing.length() - ALIGN;
    }

    /** Frees the buffer now. */
    public void close() {
        if (backing != null && backing.closeable()) {
            backing.close();
        }
        backing = null;
        base = 0;
        used = 0;
    }
}
