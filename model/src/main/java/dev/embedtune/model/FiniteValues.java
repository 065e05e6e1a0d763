package dev.embedtune.model;

import java.nio.file.Path;
import java.util.List;

/**
 * NaN and ±∞ stop where they enter or leave: a weight read from a file must be finite (one NaN
 * turns every embedding into NaN, and a fine-tuning run would blame its learning rate), and no
 * embedding leaves the Embedder API with a non-finite value (a caller would write "NaN" into its
 * output and go on with exit code 0).
 */
public final class FiniteValues {
    private FiniteValues() {
    }

    /** @throws ModelFormatException naming the file, the tensor, the first bad element and how many there are */
    public static float[] requireFinite(float[] values, Path file, String tensor) throws ModelFormatException {
        int first = firstNonFinite(values);
        if (first >= 0) {
            int count = 0;
            for (float v : values) {
                if (!Float.isFinite(v)) {
                    count++;
                }
            }
            throw new ModelFormatException(file, "tensor '" + tensor + "' holds " + count + " non-finite value"
                    + (count == 1 ? "" : "s") + " of " + values.length + " (the first, " + values[first] + ", at element "
                    + first + "); the weights are corrupt or were saved from a diverged run");
        }
        return values;
    }

    /** The same for float64 tensors (e.g. a checkpoint's optimizer state). */
    public static double[] requireFinite(double[] values, Path file, String tensor) throws ModelFormatException {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new ModelFormatException(file, "tensor '" + tensor + "' holds a non-finite value (" + values[i]
                        + " at element " + i + " of " + values.length + "); the file is corrupt or was saved from a diverged run");
            }
        }
        return values;
    }

    /**
     * @param texts the texts the rows embed, for the message
     * @throws NonFiniteEmbeddingException naming the first text whose vector is not finite
     */
    public static float[][] requireFiniteEmbeddings(float[][] vectors, List<String> texts) {
        for (int i = 0; i < vectors.length; i++) {
            int at = firstNonFinite(vectors[i]);
            if (at >= 0) {
                String text = texts.get(i);
                String shown = text.length() > 60 ? text.substring(0, 57) + "…" : text;
                throw new NonFiniteEmbeddingException("the embedding of text " + (i + 1) + " of " + vectors.length
                        + " (\"" + shown + "\") has a non-finite value (" + vectors[i][at] + " at dimension " + at
                        + "), which embedtune never returns: the model's computation overflowed float32 (weights saved "
                        + "from a diverged run?), or the text has no token to attend to (a tokenizer without special "
                        + "tokens turns an empty text into none)");
            }
        }
        return vectors;
    }

    private static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }
}
