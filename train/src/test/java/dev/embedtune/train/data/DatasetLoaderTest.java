package dev.embedtune.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void jsonlPairsWithMappingAndGroup() throws IOException {
        Path f = write("pairs.jsonl", "{\"id\":\"a\",\"query\":\"q1\",\"passage\":\"p1\",\"group\":\"g\"}\n\n"
                + "{\"id\":\"b\",\"query\":\"q2\",\"passage\":\"p2\",\"group\":\"h\"}\n");
        Dataset d = DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP);
        assertEquals(ExampleFormat.PAIR, d.format());
        assertEquals(List.of(new Example(List.of("q1", "p1"), null, "g"), new Example(List.of("q2", "p2"), null, "h")),
                d.examples());
    }

    @Test
    void csvQuotingFollowsRfc4180() throws IOException {
        // Quoted fields hold commas, doubled quotes, CRLF and LF line breaks; an empty quoted field is "".
        Path f = write("q.csv", "anchor,positive\r\n"
                + "\"a, with comma\",\"line one\r\nline two\"\r\n"
                + "\"he said \"\"hi\"\"\",plain\n"
                + "\"\",x\"y\n"
                + "last,\"multi\nline\"");
        Dataset d = DatasetLoader.load(f, ColumnMapping.parse("anchor→anchor, positive→positive"));
        assertEquals(List.of(List.of("a, with comma", "line one\r\nline two"), List.of("he said \"hi\"", "plain"),
                List.of("", "x\"y"), List.of("last", "multi\nline")),
                d.examples().stream().map(Example::texts).toList());
    }

    @Test
    void tsvWithTabsInsideQuotesAndLineNumbersAfterMultilineFields() throws IOException {
        Path f = write("t.tsv", "s1\ts2\tlabel\n\"a\tb\"\t\"two\nlines\"\t1\nc\td\t2\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> DatasetLoader.load(f, ColumnMapping.parse("s1→anchor, s2→positive, label→label")));
        // Record 2 starts on physical line 4 (the quoted field of record 1 spans lines 2-3).
        assertEquals(f + ":4: column 'label' (label) must be 0 or 1, found '2'", e.getMessage());
        Files.writeString(f, "s1\ts2\tlabel\n\"a\tb\"\t\"two\nlines\"\t1\nc\td\t0\n");
        Dataset d = DatasetLoader.load(f, ColumnMapping.parse("s1→anchor, s2→positive, label→label"));
        assertEquals(ExampleFormat.PAIR_LABEL, d.format());
        assertEquals(new Example(List.of("a\tb", "two\nlines"), 1.0, null), d.get(0));
        assertEquals(0.0, d.get(1).label());
    }

    @Test
    void formatsFollowTheMapping() throws IOException {
        Path f = write("n.jsonl", "{\"a\":\"x\",\"p\":\"y\",\"n1\":\"z1\",\"n2\":\"z2\",\"s\":0.25}\n");
        assertEquals(ExampleFormat.TRIPLET, DatasetLoader.load(f, ColumnMapping.parse("a→anchor,p→positive,n1→negative")).format());
        Dataset nTuple = DatasetLoader.load(f, ColumnMapping.parse("a->anchor, p->positive, n2->negative, n1->negative"));
        assertEquals(ExampleFormat.N_TUPLE, nTuple.format());
        assertEquals(List.of("z2", "z1"), nTuple.get(0).negatives(), "negatives keep mapping order");
        Dataset scored = DatasetLoader.load(f, ColumnMapping.parse("a=anchor, p=positive, s=score"));
        assertEquals(ExampleFormat.PAIR_SCORE, scored.format());
        assertEquals(0.25, scored.get(0).label());
        assertNull(scored.get(0).group());
    }

    @Test
    void missingJsonColumnNamesFileLineAndColumn() throws IOException {
        Path f = write("bad.jsonl", "{\"query\":\"q\",\"passage\":\"p\"}\n{\"query\":\"q\",\"text\":\"p\"}\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> DatasetLoader.load(f, ColumnMapping.parse("query→anchor, passage→positive")));
        assertEquals(f + ":2: column 'passage' (mapped to positive) is missing; found columns [query, text];"
                + " mapping query→anchor, passage→positive", e.getMessage());
    }

    @Test
    void badValuesNameTheirColumn() throws IOException {
        Path json = write("obj.jsonl", "{\"q\":{\"x\":1},\"p\":\"p\"}\n");
        assertEquals(json + ":1: column 'q' must be text, found object", assertThrows(DatasetFormatException.class,
                () -> DatasetLoader.load(json, ColumnMapping.parse("q→anchor, p→positive"))).getMessage());
        Path csv = write("s.csv", "a,b,score\nx,y,high\n");
        assertEquals(csv + ":2: column 'score' (score) must be a finite number, found 'high'",
                assertThrows(DatasetFormatException.class,
                        () -> DatasetLoader.load(csv, ColumnMapping.parse("a→anchor,b→positive,score→score"))).getMessage());
        Path header = write("h.csv", "a,c\nx,y\n");
        assertTrue(assertThrows(DatasetFormatException.class,
                () -> DatasetLoader.load(header, ColumnMapping.parse("a→anchor,b→positive"))).getMessage()
                .startsWith(header + ":1: column 'b' (mapped to positive) is missing; found columns [a, c]"));
        Path ragged = write("r.csv", "a,b\nx,y,z\n");
        assertEquals(ragged + ":2: expected 2 fields as in the header, found 3", assertThrows(DatasetFormatException.class,
                () -> DatasetLoader.load(ragged, ColumnMapping.parse("a→anchor,b→positive"))).getMessage());
        Path twice = write("d.csv", "a,b,a\nx,y,z\n");
        assertEquals(twice + ":1: column 'a' appears more than once in the header [a, b, a]; which one is meant is"
                + " unclear", assertThrows(DatasetFormatException.class,
                        () -> DatasetLoader.load(twice, ColumnMapping.parse("a→anchor,b→positive"))).getMessage());
        Path open = write("o.csv", "a,b\n\"never closed,y\n");
        assertEquals(open + ":2: quoted field opened on this line is never closed", assertThrows(
                DatasetFormatException.class, () -> DatasetLoader.load(open, ColumnMapping.parse("a→anchor,b→positive")))
                .getMessage());
    }

    @Test
    void mappingErrorsNameTheProblem() {
        assertEquals("column mapping: expected exactly 1 column(s) mapped to positive, found 0",
                assertThrows(IllegalArgumentException.class, () -> ColumnMapping.parse("query→anchor")).getMessage());
        assertEquals("unknown column role 'answer': expected one of anchor, positive, negative, score, label, group",
                assertThrows(IllegalArgumentException.class, () -> ColumnMapping.parse("q→anchor, p→answer")).getMessage());
        assertEquals("column mapping entry 'q anchor': expected source→role, e.g. query→anchor",
                assertThrows(IllegalArgumentException.class, () -> ColumnMapping.parse("q anchor, p→positive")).getMessage());
        assertEquals("a pair with a score takes no negative columns, found 1",
                assertThrows(IllegalArgumentException.class,
                        () -> ColumnMapping.parse("q→anchor, p→positive, n→negative, s→score")).getMessage());
    }

    @Test
    void unknownExtensionIsRejected() throws IOException {
        Path f = write("x.parquet", "");
        assertEquals(f + ": unknown data file type; expected .jsonl, .csv or .tsv",
                assertThrows(IllegalArgumentException.class,
                        () -> DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP)).getMessage());
    }

    /** A record's split: its split field, else the group rule when a group is mapped, else train. */
    @Test
    void oneSplitOfAFile() throws IOException {
        // group "a" is test by the rule, "b" train (see GroupSplitTest.handComputedDigests)
        Path f = write("s.jsonl", "{\"query\":\"q1\",\"passage\":\"p1\",\"group\":\"b\",\"split\":\"test\"}\n"
                + "{\"query\":\"q2\",\"passage\":\"p2\",\"group\":\"a\"}\n"
                + "{\"query\":\"q3\",\"passage\":\"p3\",\"group\":\"b\"}\n");
        assertEquals(List.of("q1", "q2"), anchors(DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP, "test")));
        assertEquals(List.of("q3"), anchors(DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP, "train")));
        assertEquals(3, DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP, "all").size());
        assertEquals("s.jsonl (train)", DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP, "train").name());
        // without a group mapped, records without a split field are train
        assertEquals(List.of("q2", "q3"), anchors(DatasetLoader.load(f, ColumnMapping.parse("query=anchor,passage=positive"), "train")));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> DatasetLoader.load(f, ColumnMapping.QUERY_PASSAGE_GROUP, "dev"));
        assertTrue(e.getMessage().startsWith(f + ": no record has split 'dev'; the splits found are [test, train]"), e.getMessage());

        Path csv = write("s.csv", "anchor,positive,split\nq1,p1,train\nq2,p2,test\nq3,p3,\n");
        assertEquals(List.of("q1", "q3"), anchors(DatasetLoader.load(csv, ColumnMapping.byRoleNames(List.of("anchor", "positive")), "train")));
        assertEquals(List.of("anchor", "positive", "split"), DatasetLoader.columnNames(csv));
        assertEquals(List.of("query", "passage", "group", "split"), DatasetLoader.columnNames(f));
    }

    private static List<String> anchors(Dataset d) {
        return d.examples().stream().map(Example::anchor).toList();
    }

    /**
     * The one split rule, for training, evaluation and mining alike: a record's split field, else the
     * group rule over its group, else (no group) train. Evaluation gives an ungrouped query its own
     * positive as the one relevant passage; mining excludes only identical positives for it.
     */
    @Test
    void aRecordWithoutGroupOrSplitIsTrainEverywhere() throws IOException {
        // "g-test" is a test group under the rule (sha256 prefix % 5 == 0), "g-train" a train group; checked below
        String testGroup = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "g" + i).filter(GroupSplit::isTest).findFirst()
                .orElseThrow();
        String trainGroup = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "g" + i).filter(g -> !GroupSplit.isTest(g))
                .findFirst().orElseThrow();
        Path f = dir.resolve("mixed.jsonl");
        Files.writeString(f, String.join("\n",
                "{\"query\": \"q1\", \"passage\": \"p1\", \"group\": \"" + testGroup + "\"}",
                "{\"query\": \"q2\", \"passage\": \"p2\", \"group\": \"" + trainGroup + "\"}",
                "{\"query\": \"q3\", \"passage\": \"p3\"}",
                "{\"query\": \"q4\", \"passage\": \"p4\", \"split\": \"test\"}",
                "{\"query\": \"q5\", \"passage\": \"p5\", \"group\": \"" + testGroup + "\", \"split\": \"train\"}") + "\n");
        ColumnMapping mapping = DatasetLoader.defaultMapping(f);
        assertEquals("query→anchor, passage→positive, group→group", mapping.toString());
        assertEquals(List.of("q2", "q3", "q5"), DatasetLoader.load(f, mapping, "train").examples().stream().map(Example::anchor).toList());
        assertEquals(List.of("q1", "q4"), DatasetLoader.load(f, mapping, "test").examples().stream().map(Example::anchor).toList());
        assertEquals(5, DatasetLoader.load(f, mapping, "all").size());

        // evaluation reads through the same reader: q4 (no group) has only its own positive
        dev.embedtune.train.eval.RetrievalTask task = dev.embedtune.train.eval.RetrievalTask.read(f, mapping, "test");
        assertEquals(List.of("q1", "q4"), List.copyOf(task.queries().values()));
        assertEquals(java.util.Set.of("p1", "p5"), task.relevantDocs().get("q0").stream().map(task.corpus()::get)
                .collect(java.util.stream.Collectors.toSet()), "q1's group holds p1 and p5");
        assertEquals(java.util.Set.of("p4"), task.relevantDocs().get("q1").stream().map(task.corpus()::get)
                .collect(java.util.stream.Collectors.toSet()));
        // and so does mining: the train split's pairs, an ungrouped pair with a null group
        List<dev.embedtune.train.mining.HardNegativeMiner.Pair> pairs = dev.embedtune.train.mining.HardNegativeMiner.pairs(
                DatasetLoader.load(f, mapping, "train"));
        assertEquals(List.of("q2", "q3", "q5"), pairs.stream().map(p -> p.query()).toList());
        assertNull(pairs.get(1).group());
    }
}
