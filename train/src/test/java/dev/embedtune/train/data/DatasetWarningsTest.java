package dev.embedtune.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.embedtune.train.Warnings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 11, the data file's part: a duplicate id, a split value that is neither train, test
 * nor the split asked for (a typo), an empty query or passage: each a warning naming the file, the
 * first line and the count, while the data still loads. A clean file gives none.
 */
class DatasetWarningsTest {

    @TempDir
    Path tmp;

    private static List<String> warningsOf(Path f, String split) {
        List<String> w = new ArrayList<>();
        try (Warnings.Route r = Warnings.routeTo(w::add)) {
            DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP, split);
        }
        return w;
    }

    @Test
    void duplicateIdsASplitTypoAndEmptyTextsAreWarnedAbout() throws IOException {
        Path f = tmp.resolve("data.jsonl");
        Files.writeString(f, """
                {"id": "a", "query": "q1", "passage": "p1", "split": "train"}
                {"id": "b", "query": "q2", "passage": "p2", "split": "tset"}
                {"id": "a", "query": "q3", "passage": "p3", "split": "train"}
                {"id": "c", "query": "", "passage": "p4", "split": "train"}
                {"id": "d", "query": "q5", "passage": "  ", "split": "tset"}
                """);
        List<String> w = warningsOf(f, "train");
        assertEquals(List.of(
                f + ": 1 record repeats an earlier record's id (first: id 'a' on lines 1 and 3); ids should be unique",
                f + ":4: 1 record has an empty 'query' (anchor) text (first on this line); it embeds as the special tokens alone",
                f + ":5: 1 record has an empty 'passage' (positive) text (first on this line); it embeds as the special tokens alone",
                f + ":2: 2 records have split 'tset' (first on this line), which is neither train nor test; they are left out (a typo?)"),
                w);
    }

    @Test
    void theSplitAskedForIsNoTypoAndACleanFileGivesNoWarning() throws IOException {
        Path f = tmp.resolve("clean.jsonl");
        Files.writeString(f, """
                {"id": "a", "query": "q1", "passage": "p1", "split": "train"}
                {"id": "b", "query": "q2", "passage": "p2", "split": "dev"}
                {"id": "c", "query": "q3", "passage": "p3", "split": "test"}
                """);
        assertEquals(List.of(), warningsOf(f, "dev"));
        Files.writeString(f, Files.readString(f) + "{\"id\": \"d\", \"query\": \"q4\", \"passage\": \"p4\", \"split\": \"validation\"}\n");
        assertEquals(List.of(f + ":2: 1 record has split 'dev' (first on this line), which is neither train nor test nor the split"
                + " asked for, 'validation'; they are left out (a typo?)"), warningsOf(f, "validation"));
    }
}
