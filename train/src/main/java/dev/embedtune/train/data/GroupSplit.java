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
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(group.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
        // The first 8 hex digits are the first 4 bytes, big-endian.
        long head = ((digest[0] & 0xFFL) << 24) | ((digest[1] & 0xFFL) << 16) | ((digest[2] & 0xFFL) << 8)
                | (digest[3] & 0xFFL);
        return head % 5 == 0;
    }

    /** {@code "test"} or {@code "train"}, as in the {@code split} field of the shared files. */
    public static String splitOf(String group) {
        return isTest(group) ? "test" : "train";
    }

    /**
     * Splits by group.
     *
     * @throws IllegalArgumentException if an example has no group (map a column to {@code group})
     */
    public static TrainTest split(Dataset data) {
        List<Example> train = new ArrayList<>();
        List<Example> test = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            Example e = data.get(i);
            if (e.group() == null) {
                throw new IllegalArgumentException(data.name() + ": example " + i
                        + " has no group; a group-aware split needs a column mapped to group");
            }
            (isTest(e.group()) ? test : train).add(e);
        }
        return new TrainTest(data.withExamples(data.name() + " (train)", train),
                data.withExamples(data.name() + " (test)", test));
    }
}
