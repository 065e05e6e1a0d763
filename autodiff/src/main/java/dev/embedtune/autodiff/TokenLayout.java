package dev.embedtune.autodiff;

import java.util.Arrays;

/**
 * The real tokens of a batch of B sequences, packed one sequence after another into N rows: every
 * activation of a layer is an {@code [N, ·]} matrix holding sequence 0's tokens, then sequence 1's,
 * and so on, with no padding. Only real tokens go through the linear layers and norms; attention
 * runs per sequence over its own tokens ({@code [starts[b], starts[b + 1])}).
 *
 * <p>The batch arrives padded ({@code [B, T]} ids and attention mask, T the longest sequence). A row
 * keeps the position it had there ({@link #position}): BERT's position embeddings, RoPE, ModernBERT's
 * sliding window and the dropout masks are all functions of that position, so the packed computation
 * equals the padded one at every real token. A padded batch is the special case where every mask
 * entry is 1.
 */
public final class TokenLayout {
    private final int batch, paddedLength;
    private final int[] starts;       // [B + 1]: sequence b is rows starts[b] … starts[b + 1] − 1
    private final int[] positions;    // [N]: a row's position in its padded sequence
    private final int[] sequences;    // [N]: a row's sequence

    private TokenLayout(int batch, int paddedLength, int[] starts, int[] positions) {
        this.batch = batch;
        this.paddedLength = paddedLength;
        this.starts = starts;
        this.positions = positions;
        this.sequences = new int[positions.length];
        for (int b = 0; b < batch; b++) {
            Arrays.fill(sequences, starts[b], starts[b + 1], b);
        }
    }

    /**
     * The tokens where {@code attentionMask} is 1, in order ({@code [B, T]}, 1 token, 0 padding; every
     * row the same length). A sequence without tokens is refused: nothing could pool it.
     */
    public static TokenLayout of(int[][] attentionMask) {
        int b = attentionMask.length, t = b == 0 ? 0 : attentionMask[0].length;
        int[] starts = new int[b + 1];
        int n = 0;
        for (int i = 0; i < b; i++) {
            if (attentionMask[i].length != t) {
                throw new IllegalArgumentException("attention mask row " + i + " has " + attentionMask[i].length
                        + " entries, row 0 has " + t);
            }
            int real = 0;
            for (int j = 0; j < t; j++) {
                if (attentionMask[i][j] != 0 && attentionMask[i][j] != 1) {
                    throw new IllegalArgumentException("attention mask [" + i + "][" + j + "] is " + attentionMask[i][j]
                            + "; expected 0 or 1");
                }
                real += attentionMask[i][j];
            }
            if (real == 0) {
                throw new IllegalArgumentException("sequence " + i + " of the batch has no tokens (its attention mask is all 0)");
            }
            starts[i] = n;
            n += real;
        }
        starts[b] = n;
        int[] positions = new int[n];
        for (int i = 0, r = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                if (attentionMask[i][j] == 1) {
                    positions[r++] = j;
                }
            }
        }
        return new TokenLayout(b, t, starts, positions);
    }

    /** Every token real: B sequences of T tokens. */
    public static TokenLayout dense(int batch, int tokens) {
        int[] starts = new int[batch + 1], positions = new int[batch * tokens];
        for (int b = 0; b <= batch; b++) {
            starts[b] = b * tokens;
        }
        for (int r = 0; r < positions.length; r++) {
            positions[r] = r % tokens;
        }
        return new TokenLayout(batch, tokens, starts, positions);
    }

    /** B: sequences. */
    public int batch() {
        return batch;
    }

    /** T: the padded length (the longest sequence's last position + 1). */
    public int paddedLength() {
        return paddedLength;
    }

    /** N: real tokens. */
    public int rows() {
        return starts[batch];
    }

    /** First row of sequence {@code b}. */
    public int start(int b) {
        return starts[b];
    }

    /** Tokens of sequence {@code b}. */
    public int length(int b) {
        return starts[b + 1] - starts[b];
    }

    /** The longest sequence's token count. */
    public int maxLength() {
        int max = 0;
        for (int b = 0; b < batch; b++) {
            max = Math.max(max, length(b));
        }
        return max;
    }

    /** Position of row {@code r} in its padded sequence. */
    public int position(int r) {
        return positions[r];
    }

    /** Sequence of row {@code r}. */
    public int sequence(int r) {
        return sequences[r];
    }

    /** Row of the padded {@code [B·T, ·]} layout that packed row {@code r} comes from. */
    public int paddedRow(int r) {
        return sequences[r] * paddedLength + positions[r];
    }

    /** Rows of the padded layout, one per packed row (for gathers between the two layouts). */
    public int[] paddedRows() {
        int[] out = new int[rows()];
        for (int r = 0; r < out.length; r++) {
            out[r] = paddedRow(r);
        }
        return out;
    }

    /** True when no row is padding (N = B·T): the packed and padded layouts coincide. */
    public boolean isDense() {
        return rows() == batch * paddedLength;
    }

    /** Same sequences with the same lengths and positions (a pass sized for one fits the other). */
    public boolean sameAs(TokenLayout other) {
        return other != null && batch == other.batch && paddedLength == other.paddedLength
                && Arrays.equals(starts, other.starts) && Arrays.equals(positions, other.positions);
    }
}
