package dev.embedtune.train.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The group-aware train/test split of the shared data: a group is {@code test} when
 * {@code int(sha256(group)[:8], 16) % 5 == 0} (SHA-256 over the UTF-8 bytes, the first 8 hex digits
 * read as an unsigned number), otherwise {@code train}. All examples of one group land on the same
 * side, so no headword is both trained on and tested.
 */
public final class GroupSplit {

    /** The two sides of a split. */
    public record TrainTest(Dataset train, Dataset test) {}

    private GroupSplit() {}

    /** Whether {@code group} belongs to the test side. */
    public static boolean isTest(String group) {
        return heldOut(group, "", 5);
    }

    /**
     * The same rule over {@code salt + group} with another modulus: {@code int(sha256(salt + group)[:8], 16)
     * % modulus == 0}. With a salt, it draws a held-out part independent of the train/test rule, e.g. a
     * validation part of the train split.
     */
    public static boolean heldOut(String group, String salt, int modulus) {
        if (modulus < 2) {
            throw new IllegalArgumentException("modulus must be at least 2, got " + modulus);
        }
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest((salt + group).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
        // The first 8 hex digits are the first 4 bytes, big-endian.
        long head = ((digest[0] & 0xFFL) << 24) | ((digest[1] & 0xFFL) << 16) | ((digest[2] & 0xFFL) << 8)
                | (digest[3] & 0xFFL);
        return head % modulus == 0;
    }

    /** {@code "test"} or {@code "train"}, as in the {@code split} field of the shared files. */
    public static String splitOf(String group) {
        return isTest(group) ? "test" : "train";
    }

    /** The salt of {@link #validation}: a validation part independent of the train/test rule. */
    public static final String VALIDATION_SALT = "validation:";

    /**
     * A group-aware validation part of a training split: a group is held out when
     * {@code heldOut(group, "validation:", modulus)} (about 1/modulus of the groups); the train/test
     * rule would hold out none of a train split's groups, so this one is salted.
     *
     * @return {@code (train, test)} = (what remains to train on, the validation part)
     * @throws IllegalArgumentException if an example has no group, or either side comes out empty
     */
    public static TrainTest validation(Dataset data, int modulus) {
        TrainTest t = split(data, e -> heldOut(e, VALIDATION_SALT, modulus), "train", "validation");
        if (t.train().size() == 0 || t.test().size() == 0) {
            throw new IllegalArgumentException(data.name() + ": a validation split of 1/" + modulus + " of the groups leaves "
                    + t.train().size() + " examples to train on and " + t.test().size() + " to validate on; more groups are needed");
        }
        return t;
    }

    /**
     * Splits by group.
     *
     * @throws IllegalArgumentException if an example has no group (map a column to {@code group})
     */
    public static TrainTest split(Dataset data) {
        return split(data, GroupSplit::isTest, "train", "test");
    }

    private static TrainTest split(Dataset data, java.util.function.Predicate<String> heldOut, String trainName,
            String testName) {
        List<Example> train = new ArrayList<>();
        List<Example> test = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            Example e = data.get(i);
            if (e.group() == null) {
                throw new IllegalArgumentException(data.name() + ": example " + i
                        + " has no group; a group-aware split needs a column mapped to group");
            }
            (heldOut.test(e.group()) ? test : train).add(e);
        }
        return new TrainTest(data.withExamples(data.name() + " (" + trainName + ")", train),
                data.withExamples(data.name() + " (" + testName + ")", test));
    }
}
