package dev.embedtune.train.loss;

import dev.embedtune.train.data.ExampleFormat;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The losses a run names ({@code loss: mnrl}), by their short names or sentence-transformers class
 * names, with the data formats each trains on and sentence-transformers' default parameters. The one
 * registry of loss names: a new loss is a class in this package plus a constant here.
 */
public enum LossKind {
    MNRL(EnumSet.of(ExampleFormat.PAIR, ExampleFormat.TRIPLET, ExampleFormat.N_TUPLE), "MultipleNegativesRankingLoss"),
    CACHED_MNRL(EnumSet.of(ExampleFormat.PAIR, ExampleFormat.TRIPLET, ExampleFormat.N_TUPLE),
            "CachedMultipleNegativesRankingLoss"),
    MNRL_SYMMETRIC(EnumSet.of(ExampleFormat.PAIR, ExampleFormat.TRIPLET, ExampleFormat.N_TUPLE),
            "MultipleNegativesSymmetricRankingLoss"),
    COSENT(EnumSet.of(ExampleFormat.PAIR_SCORE), "CoSENTLoss"),
    ANGLE(EnumSet.of(ExampleFormat.PAIR_SCORE), "AnglELoss"),
    TRIPLET(EnumSet.of(ExampleFormat.TRIPLET), "TripletLoss"),
    CONTRASTIVE(EnumSet.of(ExampleFormat.PAIR_LABEL), "ContrastiveLoss"),
    ONLINE_CONTRASTIVE(EnumSet.of(ExampleFormat.PAIR_LABEL), "OnlineContrastiveLoss");

    /** The short names, as {@code loss:} and {@code --loss} take them. */
    public static final List<String> NAMES = Arrays.stream(values()).map(LossKind::cliName).toList();

    private final Set<ExampleFormat> formats;
    private final String className;

    LossKind(Set<ExampleFormat> formats, String className) {
        this.formats = formats;
        this.className = className;
    }

    /** {@code mnrl}, {@code cached-mnrl}, … */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** sentence-transformers' class name, e.g. {@code MultipleNegativesRankingLoss}. */
    public String className() {
        return className;
    }

    /** The example formats this loss trains on. */
    public Set<ExampleFormat> formats() {
        return EnumSet.copyOf(formats);
    }

    /**
     * The loss with sentence-transformers' default parameters.
     *
     * @param miniBatchSize rows per GradCache mini-batch, for {@link #CACHED_MNRL} ({@code mini_batch_size})
     */
    public EmbeddingLoss create(int miniBatchSize) {
        return switch (this) {
            case MNRL -> new MultipleNegativesRankingLoss();
            case CACHED_MNRL -> new CachedMultipleNegativesRankingLoss(MultipleNegativesRankingLoss.DEFAULT_SCALE, miniBatchSize);
            case MNRL_SYMMETRIC -> new MultipleNegativesSymmetricRankingLoss();
            case COSENT -> new CoSENTLoss();
            case ANGLE -> new AnglELoss();
            case TRIPLET -> new TripletLoss();
            case CONTRASTIVE -> new ContrastiveLoss();
            case ONLINE_CONTRASTIVE -> new OnlineContrastiveLoss();
        };
    }

    /**
     * The loss named {@code name}: a short name or a class name, case-insensitive.
     *
     * @throws IllegalArgumentException naming the known names
     */
    public static LossKind parse(String name) {
        String n = name.trim();
        for (LossKind k : values()) {
            if (k.cliName().equalsIgnoreCase(n) || k.className.equalsIgnoreCase(n)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown loss '" + name + "': expected one of " + String.join(", ", NAMES)
                + " (or the sentence-transformers class name, e.g. MultipleNegativesRankingLoss)");
    }
}
