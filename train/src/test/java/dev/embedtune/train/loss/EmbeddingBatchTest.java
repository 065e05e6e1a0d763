package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class EmbeddingBatchTest {

    @Test
    void mismatchedColumnShapesAreNamed() {
        INDArray[] a = randomColumns(91, 1, 4, 3);
        INDArray[] b = randomColumns(92, 1, 5, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddingBatch.of(a[0], b[0]));
        assertEquals("embedding column 1: expected shape [4, 3] (the shape of column 0), found [5, 3]", e.getMessage());
    }

    @Test
    void badRanksTypesAndLabelsAreNamed() {
        INDArray[] a = randomColumns(93, 1, 4, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddingBatch.of(Nd4j.zeros(DataType.DOUBLE, 4)));
        assertTrue(e.getMessage().contains("expected a [B, D] matrix, found shape [4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingBatch.of(a[0], a[0].castTo(DataType.FLOAT)));
        assertTrue(e.getMessage().contains("expected data type DOUBLE (that of column 0), found FLOAT"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingBatch.of(Nd4j.zeros(DataType.INT, 2, 2)));
        assertTrue(e.getMessage().contains("floating-point"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingBatch.withLabels(v(1, 0, 1), a[0]));
        assertTrue(e.getMessage().contains("labels: expected 4 values"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingBatch.of());
        assertTrue(e.getMessage().contains("at least one embedding column"), e.getMessage());
    }

    @Test
    void labelsAreCastToTheColumnType() {
        INDArray col = randomColumns(94, 1, 3, 2)[0].castTo(DataType.FLOAT);
        EmbeddingBatch batch = EmbeddingBatch.withLabels(Nd4j.createFromArray(1, 0, 1).reshape(3, 1), col);
        assertEquals(DataType.FLOAT, batch.labels().dataType());
        assertEquals(1, batch.labels().rank());
        assertEquals(3, batch.batchSize());
        assertEquals(2, batch.dimension());
    }
}
