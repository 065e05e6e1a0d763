package dev.embedtune.autodiff.kernels;

import dev.embedtune.autodiff.TokenLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted-dropout masks: each entry is 0 with probability p, else {@code 1/(1 − p)}, so
 * {@code x ⊙ mask} keeps the expectation of x and the backward is {@code dy ⊙ mask}.
 *
 * <p>The entries come from a counter-based hash (SplitMix64's finaliser) of (row seed, site, index
 * within the row), not from a stateful generator:
 * <ul>
 *   <li>the same seeds give the same mask on every backend and every run, so a resumed run and
 *       GradCache's second forward reproduce the first exactly (sentence-transformers restores the
 *       RNG state with {@code RandContext} for the same reason);</li>
 *   <li>a batch row's mask depends on its own seed only, not on which rows share its batch, so a
 *       GradCache mini-batch of rows draws the masks those rows get in the full batch.</li>
 * </ul>
 * ND4J's own random ops (DropOutInverted, BernoulliDistribution) give neither: their streams run over
 * the whole array and differ between the CPU and CUDA backends.
 *
 * <p>Each 64-bit hash gives two 32-bit uniforms; an entry is dropped when its uniform is below
 * {@code ⌊p·2³²⌋}, so the drop probability is p within 2.4e-10.
 *
 * <p>{@link #value} is the definition; {@link #fill} writes the host memory directly on the CPU
 * backend and goes through one host array and {@code assign} elsewhere (CUDA).
 */
public final class DropoutMask {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final boolean CPU = Nd4j.getBackend().getClass().getName().contains(".cpu.");

    private DropoutMask() {
    }

    /** SplitMix64's output function: a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The seed of one dropout site (layer and place in it) for one batch row. */
    public static long siteSeed(long rowSeed, long site) {
        return mix(rowSeed + GOLDEN * (site + 1));
    }

    /** The seed of batch row {@code row} of a forward seeded with {@code seed} (rows counted in the whole column). */
    public static long rowSeed(long seed, long row) {
        return mix(mix(seed) + GOLDEN * (row + 1));
    }

    /** Entries dropped below this 32-bit uniform. */
    static long threshold(double p) {
        return (long) Math.floor(p * 4294967296.0);
    }

    /** The definition: entry {@code index} of a row's block at one site. */
    public static double value(long siteSeed, long index, double p) {
        long h = mix(siteSeed + GOLDEN * (index >>> 1));
        long u = (index & 1) == 0 ? h >>> 32 : h & 0xFFFFFFFFL;
        return u < threshold(p) ? 0 : 1 / (1 - p);
    }

    /** Whether entry {@code index} of a row's block survives: {@link #value} is not 0 (threshold from {@link #threshold}). */
    static boolean keeps(long siteSeed, long index, long threshold) {
        long h = mix(siteSeed + GOLDEN * (index >>> 1));
        long u = (index & 1) == 0 ? h >>> 32 : h & 0xFFFFFFFFL;
        return u >= threshold;
    }

    /**
     * Fills the mask of packed token rows {@code [N, W]} (see {@link TokenLayout}): entry (r, c) is
     * {@link #value} at index {@code position(r)·W + c} of its sequence's block, exactly the entry the
     * padded {@code [B·T, W]} mask has at that token.
     *
     * @param rowSeeds one per sequence
     */
    public static void fillRows(INDArray mask, double p, TokenLayout layout, long[] rowSeeds, long site) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (rowSeeds.length != layout.batch() || mask.size(0) != layout.rows()) {
            throw new IllegalArgumentException("mask " + java.util.Arrays.toString(mask.shape()) + " with "
                    + rowSeeds.length + " row seeds for " + layout.batch() + " sequences of " + layout.rows() + " tokens");
        }
        int w = (int) mask.size(1), n = layout.rows();
        long threshold = threshold(p);
        float keep = (float) (1 / (1 - p));
        if (CPU && mask.dataType() == DataType.FLOAT && mask.ordering() == 'c' && KernelPath.dense(mask)) {
            // masks are blocks of a pass's arena (dense views): written in place, never copied from the heap
            FloatBuffer floats = KernelPath.floats(mask);
            Parallel.forEachChunk(n, 64, (c, from, to) -> {
                for (int r = from; r < to; r++) {
                    long seed = siteSeed(rowSeeds[layout.sequence(r)], site), base = (long) layout.position(r) * w;
                    int at = r * w;
                    for (int j = 0; j < w; j++) {
                        floats.put(at + j, keeps(seed, base + j, threshold) ? keep : 0f);
                    }
                }
            });
        } else {
            double[] values = new double[n * w];
            for (int r = 0; r < n; r++) {
                long seed = siteSeed(rowSeeds[layout.sequence(r)], site), base = (long) layout.position(r) * w;
                for (int j = 0; j < w; j++) {
                    values[r * w + j] = keeps(seed, base + j, threshold) ? keep : 0;
                }
            }
            mask.assign(Nd4j.createFromArray(values).reshape(n, w).castTo(mask.dataType()));
        }
    }

    /**
     * Fills {@code mask} (any shape whose leading axis, or leading {@code rowSeeds.length} blocks of
     * equal size, are the batch rows) with row r's block drawn from {@code siteSeed(rowSeeds[r], site)}.
     *
     * @param p the drop probability, in [0, 1)
     */
    public static void fill(INDArray mask, double p, long[] rowSeeds, long site) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (mask.length() % rowSeeds.length != 0) {
            throw new IllegalArgumentException("mask of " + mask.length() + " entries does not split into "
                    + rowSeeds.length + " rows");
        }
        if (CPU && mask.ordering() == 'c' && !mask.isView()
                && (mask.dataType() == DataType.FLOAT || mask.dataType() == DataType.DOUBLE)) {
            fillHost(mask, p, rowSeeds, site);
        } else {
            fillPortable(mask, p, rowSeeds, site);
        }
    }

    /** Any backend: the values in a host array, copied in by one assign. */
    public static void fillPortable(INDArray mask, double p, long[] rowSeeds, long site) {
        double[] values = new double[(int) mask.length()];
        long block = mask.length() / rowSeeds.length;
        double keep = 1 / (1 - p);
        long threshold = threshold(p);
        for (int r = 0; r < rowSeeds.length; r++) {
            long s = siteSeed(rowSeeds[r], site);
            int base = (int) (r * block);
            for (long i = 0; i < block; i += 2) {
                long h = mix(s + GOLDEN * (i >>> 1));
                values[(int) (base + i)] = (h >>> 32) < threshold ? 0 : keep;
                if (i + 1 < block) {
                    values[(int) (base + i + 1)] = (h & 0xFFFFFFFFL) < threshold ? 0 : keep;
                }
            }
        }
        mask.assign(Nd4j.createFromArray(values).reshape(mask.shape()).castTo(mask.dataType()));
    }

    /**
     * CPU backend: written straight into the array's host memory, nothing allocated; rows in parallel
     * (measured on the 2-core machine: MiniLM's [32, 12, 128, 128] attention mask in 10 ms, 21 ms on
     * one core; a [4096, 384] hidden mask in 2.7 ms).
     */
    static void fillHost(INDArray mask, double p, long[] rowSeeds, long site) {
        ByteBuffer all = mask.data().asNio().order(ByteOrder.nativeOrder());
        boolean single = mask.dataType() == DataType.FLOAT;
        FloatBuffer floats = single ? all.asFloatBuffer() : null;
        DoubleBuffer doubles = single ? null : all.asDoubleBuffer();
        long block = mask.length() / rowSeeds.length;
        long threshold = threshold(p);
        double keep = 1 / (1 - p);
        float keepF = (float) keep;
        long start = mask.offset();
        IntStream.range(0, rowSeeds.length).parallel().forEach(r -> {
            long s = siteSeed(rowSeeds[r], site);
            int base = (int) (start + r * block);
            for (long i = 0; i < block; i += 2) {
                long h = mix(s + GOLDEN * (i >>> 1));
                boolean dropFirst = (h >>> 32) < threshold, dropSecond = (h & 0xFFFFFFFFL) < threshold;
                int at = base + (int) i;
                if (single) {
                    floats.put(at, dropFirst ? 0f : keepF);
                    if (i + 1 < block) {
                        floats.put(at + 1, dropSecond ? 0f : keepF);
                    }
                } else {
                    doubles.put(at, dropFirst ? 0 : keep);
                    if (i + 1 < block) {
                        doubles.put(at + 1, dropSecond ? 0 : keep);
                    }
                }
            }
        });
    }
}
