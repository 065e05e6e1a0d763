package dev.embedtune.train.eval;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Dot products of a block of queries with a block of corpus rows, {@code out[q·C + c] = Σ_d Q[q,d]·K[c,d]}.
 * {@link #JAVA} is the readable definition; {@link #ND4J} does the same product as one GEMM
 * ({@code Q · Kᵀ}) and is what large corpora need. A test checks the two agree.
 */
enum ScoreKernel {
    /** Plain loops over float arrays, accumulated in float as a GEMM does. */
    JAVA {
        @Override
        Block prepare(float[][] rows, int from, int to) {
            return new Block(rows, from, to, null);
        }

        @Override
        void scores(Block queries, Block corpus, float[] out) {
            int c = corpus.rows();
            for (int q = 0; q < queries.rows(); q++) {
                float[] a = queries.source[queries.from + q];
                for (int j = 0; j < c; j++) {
                    float[] b = corpus.source[corpus.from + j];
                    float s = 0;
                    for (int d = 0; d < a.length; d++) {
                        s += a[d] * b[d];
                    }
                    out[q * c + j] = s;
                }
            }
        }
    },
    /** {@code Nd4j.gemm} (BLAS sgemm) into a preallocated output, read back through its NIO buffer. */
    ND4J {
        @Override
        Block prepare(float[][] rows, int from, int to) {
            int dim = rows[from].length;
            float[] flat = new float[(to - from) * dim];
            for (int i = from; i < to; i++) {
                System.arraycopy(rows[i], 0, flat, (i - from) * dim, dim);
            }
            return new Block(rows, from, to, Nd4j.create(flat, new long[] {to - from, dim}, 'c'));
        }

        @Override
        void scores(Block queries, Block corpus, float[] out) {
            // A fresh output per call: gemm refuses views as output, and blocks at the edges differ in shape.
            INDArray c = Nd4j.createUninitialized(DataType.FLOAT, queries.rows(), corpus.rows()); // [bq, bc]
            Nd4j.gemm(queries.array, corpus.array, c, false, true, 1.0, 0.0);
            FloatBuffer fb = c.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            fb.get(out, 0, queries.rows() * corpus.rows());
            c.close();
        }
    };

    /** Rows {@code from … to-1} of an embedding matrix, in the kernel's layout. */
    static final class Block {
        final float[][] source;
        final int from;
        final int to;
        final INDArray array; // [rows, D] for ND4J, null for JAVA

        Block(float[][] source, int from, int to, INDArray array) {
            this.source = source;
            this.from = from;
            this.to = to;
            this.array = array;
        }

        int rows() {
            return to - from;
        }
    }

    abstract Block prepare(float[][] rows, int from, int to);

    /** Fills {@code out[0 … queries.rows()·corpus.rows())} row-major. */
    abstract void scores(Block queries, Block corpus, float[] out);
}
