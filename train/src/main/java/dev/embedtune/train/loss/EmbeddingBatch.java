package dev.embedtune.train.loss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The embeddings of one training batch: one {@code [B, D]} matrix per text column, in dataset column
 * order (e.g. anchor, positive, negative_1, ..., negative_K), and optionally one float label per row.
 *
 * <p>The constructor checks that every column is a floating-point matrix of the same shape and data
 * type, and that the labels (if any) have {@code B} entries; labels are converted to the columns'
 * data type and to shape {@code [B]}.
 *
 * @param columns the embedding matrices, each {@code [B, D]}
 * @param labels {@code [B]} scores or 0/1 labels, or {@code null} for losses without labels
 */
public record EmbeddingBatch(List<INDArray> columns, INDArray labels) {

    /** Validates the columns and labels (see the class comment). */
    public EmbeddingBatch {
        if (columns == null || columns.isEmpty()) {
            throw new IllegalArgumentException("EmbeddingBatch needs at least one embedding column, found none");
        }
        columns = List.copyOf(columns);
        INDArray first = columns.get(0);
        for (int i = 0; i < columns.size(); i++) {
            INDArray c = columns.get(i);
            if (c.rank() != 2) {
                throw new IllegalArgumentException("embedding column " + i + ": expected a [B, D] matrix, found shape "
                        + Arrays.toString(c.shape()));
            }
            if (!c.dataType().isFPType()) {
                throw new IllegalArgumentException("embedding column " + i + ": expected a floating-point data type, found "
                        + c.dataType());
            }
            if (!Arrays.equals(c.shape(), first.shape())) {
                throw new IllegalArgumentException("embedding column " + i + ": expected shape " + Arrays.toString(first.shape())
                        + " (the shape of column 0), found " + Arrays.toString(c.shape()));
            }
            if (c.dataType() != first.dataType()) {
                throw new IllegalArgumentException("embedding column " + i + ": expected data type " + first.dataType()
                        + " (that of column 0), found " + c.dataType());
            }
        }
        if (labels != null) {
            long b = first.size(0);
            if (!(labels.rank() == 1 || (labels.rank() == 2 && (labels.size(0) == 1 || labels.size(1) == 1)))
                    || labels.length() != b) {
                throw new IllegalArgumentException("labels: expected " + b + " values (one per row of the batch), found shape "
                        + Arrays.toString(labels.shape()));
            }
            labels = labels.reshape(b).castTo(first.dataType());
        }
    }

    /**
     * A batch without labels.
     *
     * @param columns the embedding matrices, each [B, D], in column order
     * @return the validated batch
     */
    public static EmbeddingBatch of(INDArray... columns) {
        return new EmbeddingBatch(Arrays.asList(columns), null);
    }

    /**
     * A batch with one label per row.
     *
     * @param labels [B] (or [B, 1]) labels, converted to the columns' data type
     * @param columns the embedding matrices, each [B, D], in column order
     * @return the validated batch
     */
    public static EmbeddingBatch withLabels(INDArray labels, INDArray... columns) {
        return new EmbeddingBatch(Arrays.asList(columns), labels);
    }

    /** Column {@code index}, {@code [B, D]}. */
    public INDArray column(int index) {
        return columns.get(index);
    }

    /** The number of columns. */

    public int columnCount() {
        return columns.size();
    }

    /** {@code B}. */
    public int batchSize() {
        return (int) columns.get(0).size(0);
    }

    /** {@code D}. */
    public int dimension() {
        return (int) columns.get(0).size(1);
    }

    /** The data type of every column (and of the labels). */

    public DataType dataType() {
        return columns.get(0).dataType();
    }

    /** Whether the batch carries labels. */

    public boolean hasLabels() {
        return labels != null;
    }

    /** A copy of this batch with other columns of the same count and the same labels. */
    public EmbeddingBatch withColumns(List<INDArray> newColumns) {
        return new EmbeddingBatch(new ArrayList<>(newColumns), labels);
    }

    /** Throws unless the batch has between {@code min} and {@code max} columns (inclusive). */
    void requireColumns(String lossName, int min, int max, String expected) {
        if (columns.size() < min || columns.size() > max) {
            throw new IllegalArgumentException(lossName + " expects " + expected + ", found " + columns.size()
                    + " embedding column" + (columns.size() == 1 ? "" : "s"));
        }
    }

    /** Returns the labels, or throws naming the loss if there are none. */
    INDArray requireLabels(String lossName, String expected) {
        if (labels == null) {
            throw new IllegalArgumentException(lossName + " expects " + expected + " per row as labels, found no labels");
        }
        return labels;
    }
}
