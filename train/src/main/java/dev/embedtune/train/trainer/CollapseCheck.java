package dev.embedtune.train.trainer;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.train.data.Dataset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Tells a collapsed run from a learning one, so that the trainer stops with the symptom named instead
 * of saving a model that embeds every text to the same vector. Two symptoms, both seen with a learning
 * rate far too high (e.g. {@code --lr 1e3}):
 *
 * <ul>
 *   <li>the gradient is zero while the loss is not: nothing can change any more, yet the model has
 *       not fitted anything (a converged run has a loss near 0; MNRL over coinciding embeddings sits
 *       at ln(batch size)). {@value #ZERO_GRADIENT_STEPS} such steps in a row stop the run;</li>
 *   <li>at the end, distinct training texts all embed to (nearly) the same vector: every cosine to the
 *       first above {@value #SAME_VECTOR_COSINE}.</li>
 * </ul>
 *
 * Non-finite values are the trainer's own check ({@link NonFiniteLossException}).
 */
final class CollapseCheck {

    /** Steps in a row with a zero gradient and a non-zero loss before the run is called collapsed. */
    static final int ZERO_GRADIENT_STEPS = 3;
    /** A gradient norm below this is zero: a learning run's is many orders of magnitude larger. */
    static final double ZERO_GRADIENT = 1e-10;
    /** A loss below this is a fitted model (a margin loss at 0 also has a zero gradient). */
    static final double FITTED_LOSS = 1e-6;
    /** Texts embedded for the end-of-run check. */
    static final int SAMPLE_TEXTS = 16;
    /** Cosines above this between distinct texts' embeddings count as one vector. */
    static final double SAME_VECTOR_COSINE = 0.9999;

    private final double learningRate;
    private int zeroGradientSteps;

    CollapseCheck(double learningRate) {
        this.learningRate = learningRate;
    }

    /** Called after each step's backward pass, before the update. */
    void afterBackward(int step, double loss, double gradNorm) {
        if (gradNorm < ZERO_GRADIENT && loss > FITTED_LOSS) {
            zeroGradientSteps++;
        } else {
            zeroGradientSteps = 0;
        }
        if (zeroGradientSteps >= ZERO_GRADIENT_STEPS) {
            throw new TrainingCollapsedException(step, String.format(Locale.ROOT, "training collapsed at step %d: the gradient has been"
                    + " zero for %d steps while the loss stays at %.4f (every text embedding alike gives such a loss), so nothing"
                    + " more can be learned; %s", step, zeroGradientSteps, loss, cause()));
        }
    }

    /** Called at the end of training, before anything final is written. */
    void atEnd(int step, Dataset data, TextEncoder encoder) {
        List<String> texts = distinctTexts(data);
        if (texts.size() < 2) {
            return;
        }
        float[][] e = encoder.encode(texts);
        double smallest = 1;
        for (int i = 1; i < e.length; i++) {
            smallest = Math.min(smallest, cosine(e[0], e[i]));
        }
        if (smallest > SAME_VECTOR_COSINE) {
            throw new TrainingCollapsedException(step, String.format(Locale.ROOT, "training collapsed: after step %d, %d different"
                    + " training texts all embed to the same vector (smallest cosine between them %.7f), so the model tells no"
                    + " text from another; %s", step, texts.size(), smallest, cause()));
        }
    }

    private String cause() {
        return String.format(Locale.ROOT, "the likely cause is a learning rate far too high (%s; LoRA usually trains with"
                + " 1e-5 to 1e-3). final/, adapter/ and model/ are not written, so a previous result there is kept", learningRate);
    }

    /** Up to {@link #SAMPLE_TEXTS} distinct texts of the data, in order. */
    private static List<String> distinctTexts(Dataset data) {
        Set<String> texts = new LinkedHashSet<>();
        for (int i = 0; i < data.size() && texts.size() < SAMPLE_TEXTS; i++) {
            for (String t : data.get(i).texts()) {
                if (!t.isBlank() && texts.size() < SAMPLE_TEXTS) {
                    texts.add(t);
                }
            }
        }
        return new ArrayList<>(texts);
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.sqrt(na * nb);
    }
}
