package dev.embedtune.train.data;

/**
 * The shapes of training examples sentence-transformers trains on. The format is decided by the
 * column mapping, never guessed from the data.
 */
public enum ExampleFormat {
    /** (anchor, positive): MultipleNegativesRankingLoss and friends. */
    PAIR,
    /** (anchor, positive, negative): TripletLoss, MNRL with a hard negative. */
    TRIPLET,
    /** (anchor, positive, negative_1 … negative_n), n ≥ 2: MNRL with several hard negatives. */
    N_TUPLE,
    /** (sentence1, sentence2, float score): CoSENT, AnglE, CosineSimilarityLoss. */
    PAIR_SCORE,
    /** (sentence1, sentence2, 0/1 label): ContrastiveLoss, OnlineContrastiveLoss. */
    PAIR_LABEL;

    /** The format of a mapping with these roles; the caller has checked anchor and positive exist once. */
    static ExampleFormat of(int negatives, boolean score, boolean label) {
        if (score && label) {
            throw new IllegalArgumentException("a column mapping may map a score or a label, not both");
        }
        if ((score || label) && negatives > 0) {
            throw new IllegalArgumentException("a pair with a " + (score ? "score" : "label")
                    + " takes no negative columns, found " + negatives);
        }
        if (score) {
            return PAIR_SCORE;
        }
        if (label) {
            return PAIR_LABEL;
        }
        return switch (negatives) {
            case 0 -> PAIR;
            case 1 -> TRIPLET;
            default -> N_TUPLE;
        };
    }
}
