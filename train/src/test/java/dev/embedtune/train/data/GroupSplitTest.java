package dev.embedtune.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.train.eval.RetrievalTask;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GroupSplitTest {

    private static Path shared(String file) {
        String root = System.getProperty("embedtune.shared");
        Path p = root == null ? null : Path.of(root, "data", file);
        assumeTrue(p != null && Files.isRegularFile(p),
                "skipped: shared data file " + file + " not found (system property embedtune.shared=" + root + ")");
        return p;
    }

    @Test
    void handComputedDigests() {
        // Digests from Python's hashlib: sha256("entity") = bca3685f… = 3164825695, % 5 = 0 → test
        // (wordnet.jsonl has "entity" in test); sha256("a") = ca978112… = 3398926610 → test;
        // sha256("b") = 3e23e816… = 1042540566, % 5 = 1 → train; sha256("physical entity") = cd2e8947…
        // = 3442379079, % 5 = 4 → train (the top bit is set: the 8 hex digits are read unsigned).
        assertTrue(GroupSplit.isTest("entity"));
        assertTrue(GroupSplit.isTest("a"));
        assertFalse(GroupSplit.isTest("b"));
        assertFalse(GroupSplit.isTest("physical entity"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"jargon.jsonl", "foldoc.jsonl"})
    void reproducesTheSplitFieldOfEverySharedRecord(String file) throws IOException {
        Path p = shared(file);
        ObjectMapper json = new ObjectMapper();
        int records = 0;
        try (BufferedReader in = Files.newBufferedReader(p)) {
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode n = json.readTree(line);
                assertEquals(n.get("split").asText(), GroupSplit.splitOf(n.get("group").asText()),
                        file + " record " + n.get("id").asText());
                records++;
            }
        }
        assertTrue(records > 1000, file + " has " + records + " records");
    }

    @Test
    void splitKeepsGroupsTogetherAndMatchesTheReadmeCounts() {
        Path p = shared("jargon.jsonl");
        Dataset all = DatasetLoader.load(p, ColumnMapping.QUERY_PASSAGE_GROUP);
        GroupSplit.TrainTest tt = GroupSplit.split(all);
        assertEquals(1749, tt.train().size(), "README: jargon train 1,749");
        assertEquals(415, tt.test().size(), "README: jargon test 415");
        Set<String> trainGroups = new HashSet<>();
        tt.train().examples().forEach(e -> trainGroups.add(e.group()));
        tt.test().examples().forEach(e -> assertFalse(trainGroups.contains(e.group()), e.group()));
    }

    @Test
    void retrievalTaskFollowsTheSharedSemantics() throws IOException {
        Path p = shared("jargon.jsonl");
        RetrievalTask task = RetrievalTask.fromJsonl(p);
        assertEquals(415, task.queries().size(), "one query per test record");
        Set<String> passages = new HashSet<>();
        for (String line : Files.readAllLines(p)) {
            passages.add(new ObjectMapper().readTree(line).get("passage").asText());
        }
        assertEquals(passages.size(), task.corpus().size(), "corpus: every distinct passage of the file");
        assertEquals(Set.copyOf(task.corpus().values()), passages);
    }

    @Test
    void retrievalTaskOnAHandFile(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        // Two senses of "bank" share a group; r3 repeats r1's passage under another group.
        Path f = dir.resolve("t.jsonl");
        Files.write(f, List.of(
                "{\"id\":\"r1\",\"query\":\"bank\",\"passage\":\"river side\",\"group\":\"bank\",\"split\":\"test\"}",
                "{\"id\":\"r2\",\"query\":\"bank\",\"passage\":\"money house\",\"group\":\"bank\",\"split\":\"test\"}",
                "{\"id\":\"r3\",\"query\":\"shore\",\"passage\":\"river side\",\"group\":\"shore\",\"split\":\"train\"}",
                "{\"id\":\"r4\",\"query\":\"vault\",\"passage\":\"safe room\",\"group\":\"vault\",\"split\":\"train\"}"));
        RetrievalTask t = RetrievalTask.fromJsonl(f);
        // ids are positions: queries q0, q1 (r1, r2); corpus d0, d1, d2 (river side, money house, safe room)
        assertEquals(List.of("bank", "bank"), List.copyOf(t.queries().values()));
        assertEquals(List.of("river side", "money house", "safe room"), List.copyOf(t.corpus().values()), "identical passages once");
        assertEquals(Set.of("d0", "d1"), t.relevantDocs().get("q0"));
        RetrievalTask train = RetrievalTask.fromJsonl(f, "train");
        assertEquals("shore", train.queries().get("q0"));
        assertEquals(Set.of("d0"), train.relevantDocs().get("q0"), "r3's passage is corpus entry d0 (r1's)");
    }


    /** The validation part of jargon's train split: whole groups, about a fifth, none from the test split. */
    @Test
    void validationPartOfTheTrainSplit() {
        Path p = shared("jargon.jsonl");
        Dataset train = DatasetLoader.load(p, ColumnMapping.QUERY_PASSAGE_GROUP, "train");
        GroupSplit.TrainTest parts = GroupSplit.validation(train, 5);
        assertEquals(train.size(), parts.train().size() + parts.test().size());
        Set<String> validationGroups = new java.util.HashSet<>();
        parts.test().examples().forEach(e -> validationGroups.add(e.group()));
        parts.train().examples().forEach(e -> assertFalse(validationGroups.contains(e.group()), e.group()));
        double fraction = parts.test().size() / (double) train.size();
        assertTrue(fraction > 0.12 && fraction < 0.28, "validation fraction " + fraction);
        assertEquals("jargon.jsonl (train) (validation)", parts.test().name());
    }
}
