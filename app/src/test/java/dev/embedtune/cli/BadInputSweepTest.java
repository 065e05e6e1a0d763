package dev.embedtune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.train.trainer.TinyModelDir;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's sweep: bad inputs through every command (broken, binary, non-UTF-8, empty and misshapen
 * files; damaged model directories; out-of-range, ill-typed and contradictory options; bad settings
 * files), each run in-process through picocli as {@code embedtune} runs it ({@link Main#commandLine}).
 * Every case must end
 *
 * <ul>
 *   <li>without a crash: the JVM is this one (a native crash would take the test run down), the
 *       exit code is 1 (a bad file or setting) or 2 (a bad command line), never 70 (an exception
 *       embedtune did not expect, reported as a bug) and no {@code hs_err} file appears;</li>
 *   <li>without a hang: within {@value #TIMEOUT_SECONDS} s;</li>
 *   <li>never silently: an error is one line {@code embedtune COMMAND: …} without a stack trace that
 *       names what is wrong (the case's file or option), and an exit code 0 comes with a
 *       {@code warning:} line (the legal but suspicious cases).</li>
 * </ul>
 *
 * CI runs every {@value #CI_STRIDE}th case of each command (a representative subset, a few seconds);
 * {@code -Dembedtune.sweep=all} runs all of them ({@code mvn -pl app -am test -Dtest=BadInputSweepTest
 * -Dembedtune.sweep=all -Dsurefire.failIfNoSpecifiedTests=false}); docs/RELIABILITY.md has the count.
 */
class BadInputSweepTest {

    static final int TIMEOUT_SECONDS = 120;
    static final int CI_STRIDE = 6;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Settings files that are legal but said: the name of the case → what its warning says. */
    private static final Map<String, String> WARNING_CONFIGS = Map.of("duplicate key", "given twice",
            "empty JSON object", "every setting takes its default");

    @TempDir
    Path tmp;

    /** What a case must end with: an error, a warning (exit 0), or either. */
    enum Expect { ERROR, WARNING, EITHER }

    /**
     * @param command the subcommand (for grouping and the error prefix)
     * @param name what is bad
     * @param args the whole command line
     * @param mention what the message must name (a file or an option), or null
     */
    record Case(String command, String name, List<String> args, Expect expect, String mention) {
    }

    record Outcome(Case c, int exit, String err, String problem) {
    }

    private Path model;
    private Path pairs;
    private Path texts;
    private int outputs;

    @Test
    void badInputsGiveAClearErrorOrWarningNeverACrashOrAHang() throws Exception {
        boolean all = "all".equals(System.getProperty("embedtune.sweep"));
        List<Case> cases = cases();
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<Case> chosen = new ArrayList<>();
        for (Case c : cases) {
            int i = seen.merge(c.command(), 1, Integer::sum) - 1;
            if (all || i % CI_STRIDE == 0) {
                chosen.add(c);
            }
        }
        long hsErrBefore = hsErrFiles();
        List<Outcome> outcomes = new ArrayList<>();
        ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sweep");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Case c : chosen) {
                outcomes.add(run(runner, c));
            }
        } finally {
            runner.shutdownNow();
        }
        long errors = outcomes.stream().filter(o -> o.exit() != 0).count();
        long warnings = outcomes.stream().filter(o -> o.exit() == 0).count();
        List<String> problems = outcomes.stream().filter(o -> o.problem() != null)
                .map(o -> o.c().command() + " / " + o.c().name() + ": " + o.problem() + "\n    " + String.join(" ", o.c().args())
                        + "\n    exit " + o.exit() + ", stderr: " + o.err().strip().replace("\n", "\n    "))
                .toList();
        System.out.printf("bad-input sweep: %d of %d cases run (%s), %d errors, %d warnings with exit 0, %d problems%n",
                chosen.size(), cases.size(), all ? "all" : "every " + CI_STRIDE + "th of each command", errors, warnings, problems.size());
        assertEquals(hsErrBefore, hsErrFiles(), "a native crash wrote an hs_err file");
        assertTrue(problems.isEmpty(), problems.size() + " of " + chosen.size() + " cases failed:\n" + String.join("\n", problems));
        assertTrue(chosen.size() >= (all ? 150 : 40), "the sweep ran " + chosen.size() + " cases");
    }

    private Outcome run(ExecutorService runner, Case c) throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        Future<Integer> f = runner.submit(() -> {
            picocli.CommandLine cli = Main.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            return cli.execute(c.args().toArray(String[]::new));
        });
        int exit;
        try {
            exit = f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return new Outcome(c, -1, err.toString(), "no answer within " + TIMEOUT_SECONDS + " s (a hang)");
        }
        return new Outcome(c, exit, err.toString(), problem(c, exit, err.toString()));
    }

    /** What is wrong with a case's ending, or null. */
    private static String problem(Case c, int exit, String err) {
        String prefix = "embedtune " + c.command() + ": ";
        if (exit == ErrorHandler.BUG) {
            return "reported as a bug (exit 70)";
        }
        if (exit == 0) {
            if (c.expect() == Expect.ERROR) {
                return "exit 0, but this input is an error";
            }
            if (!err.contains("warning: ")) {
                return "exit 0 without a warning (silent garbage?)";
            }
            return c.mention() == null || err.lines().anyMatch(l -> l.startsWith("warning: ") && l.contains(c.mention())) ? null
                    : "no warning names " + c.mention();
        }
        if (exit != 1 && exit != 2) {
            return "exit code " + exit + ", expected 1 or 2";
        }
        if (c.expect() == Expect.WARNING) {
            return "an error, but this input should only be warned about";
        }
        if (err.contains("\tat ")) {
            return "a stack trace";
        }
        List<String> errorLines = err.lines().filter(l -> l.startsWith(prefix) || l.startsWith("embedtune: ")).toList();
        if (errorLines.size() != 1) {
            return errorLines.size() + " error lines, expected one starting with '" + prefix + "'";
        }
        if (c.mention() != null && !errorLines.get(0).contains(c.mention())) {
            return "the error does not name " + c.mention();
        }
        return null;
    }

    private static long hsErrFiles() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("user.dir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("hs_err")).count();
        }
    }

    // ------------------------------------------------------------------ the cases

    private List<Case> cases() throws IOException {
        model = TinyModelDir.write(tmp.resolve("tiny"), 3);
        pairs = tmp.resolve("pairs.jsonl");
        StringBuilder p = new StringBuilder();
        List<String[]> ps = TinyModelDir.pairs(24);
        for (int i = 0; i < ps.size(); i++) {
            ObjectNode o = JSON.createObjectNode().put("id", "r" + i).put("query", ps.get(i)[0]).put("passage", ps.get(i)[1])
                    .put("group", ps.get(i)[2]).put("split", i % 4 == 0 ? "test" : "train");
            p.append(JSON.writeValueAsString(o)).append('\n');
        }
        Files.writeString(pairs, p);
        texts = tmp.resolve("texts.jsonl");
        Files.writeString(texts, "{\"text\": \"a hacker\"}\n{\"text\": \"the daemon\"}\n");

        List<Case> cases = new ArrayList<>();
        Map<String, Path> textFiles = badTextFiles("text");
        Map<String, Path> dataFiles = badTextFiles("query");
        Map<String, Path> models = badModels();
        Map<String, Path> configs = badConfigs();

        // ---- embed
        textFiles.forEach((name, f) -> cases.add(either(name, error("embed", "input: " + name, f, "embed", "--model", model, "--input", f,
                "--output", out()))));
        models.forEach((name, m) -> cases.add(error("embed", "model: " + name, m, "embed", "--model", m, "--input", texts,
                "--output", out())));
        for (String[] o : List.of(new String[] {"--batch-size", "0"}, new String[] {"--batch-size", "-3"},
                new String[] {"--batch-size", "x"}, new String[] {"--max-length", "0"}, new String[] {"--max-length", "-1"},
                new String[] {"--truncate-dim", "0"}, new String[] {"--truncate-dim", "9999"}, new String[] {"--precision", "float8"},
                new String[] {"--field", "missing"}, new String[] {"--no-such-option"})) {
            cases.add(error("embed", "option " + String.join(" ", o), null, concat(List.of("embed", "--model", model, "--input", texts,
                    "--output", out()), o)));
        }
        cases.add(new Case("embed", "--max-length above the positions", args("embed", "--model", model, "--input", texts,
                "--output", out(), "--max-length", "100000"), Expect.WARNING, "max_position_embeddings 64"));
        cases.add(error("embed", "output under a file", null, "embed", "--model", model, "--input", texts, "--output",
                texts.resolve("x.jsonl")));
        cases.add(error("embed", "output is a directory", null, "embed", "--model", model, "--input", texts, "--output", tmp));
        cases.add(error("embed", "missing --input", "--input", "embed", "--model", model, "--output", out()));

        // ---- tokenize
        textFiles.forEach((name, f) -> cases.add(either(name, error("tokenize", "input: " + name, f, "tokenize", "--model", model,
                "--input", f, "--output", out()))));
        for (String name : List.of("missing", "empty dir", "a file", "tokenizer.json broken", "tokenizer.json missing")) {
            Path m = models.get(name);
            cases.add(error("tokenize", "model: " + name, m, "tokenize", "--model", m, "--input", texts, "--output", out()));
        }
        for (String[] o : List.of(new String[] {"--max-length", "0"}, new String[] {"--max-length", "-2"},
                new String[] {"--max-length", "ten"}, new String[] {"--field", "nope"})) {
            cases.add(error("tokenize", "option " + String.join(" ", o), null, concat(List.of("tokenize", "--model", model, "--input",
                    texts, "--output", out()), o)));
        }
        cases.add(new Case("tokenize", "--max-length above the positions", args("tokenize", "--model", model, "--input", texts,
                "--output", out(), "--max-length", "100000"), Expect.WARNING, "max_position_embeddings 64"));

        // ---- evaluate
        dataFiles.forEach((name, f) -> cases.add(error("evaluate", "data: " + name, f, "evaluate", "--model", model, "--data", f)));
        models.forEach((name, m) -> cases.add(error("evaluate", "model: " + name, m, "evaluate", "--model", m, "--data", pairs)));
        for (String[] o : List.of(new String[] {"--evaluator", "nope"}, new String[] {"--columns", "query"},
                new String[] {"--columns", "query=nothing"}, new String[] {"--split", "tset"}, new String[] {"--dims", "0"},
                new String[] {"--dims", "4096"}, new String[] {"--batch-size", "0"}, new String[] {"--dims", "a,b"})) {
            cases.add(error("evaluate", "option " + String.join(" ", o), null, concat(List.of("evaluate", "--model", model, "--data",
                    pairs), o)));
        }

        // ---- finetune (anything that gets as far as training trains 1 step)
        // --max-length 32 (the tiny model has 64 positions): a warning seen below is the case's own
        List<Object> ft = List.of("finetune", "--model", model, "--max-steps", "1", "--batch-size", "4", "--save-steps", "0",
                "--no-progress", "--lora-r", "2", "--max-length", "32");
        dataFiles.forEach((name, f) -> {
            if (!name.equals("the field a number")) {   // a warning, below
                cases.add(error("finetune", "data: " + name, f, concat(ft, "--train", f, "--out", out())));
            }
        });
        models.forEach((name, m) -> cases.add(error("finetune", "model: " + name, m, "finetune", "--model", m, "--train", pairs,
                "--out", out(), "--max-steps", "1", "--save-steps", "0", "--no-progress", "--max-length", "32")));
        for (String[] o : List.of(new String[] {"--lr", "-1"}, new String[] {"--lr", "NaN"}, new String[] {"--lr", "fast"},
                new String[] {"--batch-size", "0"}, new String[] {"--lora-r", "0"}, new String[] {"--lora-alpha", "0"},
                new String[] {"--loss", "mse"}, new String[] {"--quantize", "int3"}, new String[] {"--max-length", "1"},
                new String[] {"--epochs", "-1"}, new String[] {"--warmup-ratio", "2"}, new String[] {"--grad-accum", "0"},
                new String[] {"--save-total-limit", "-1"}, new String[] {"--seed", "abc"}, new String[] {"--columns", "a=b"},
                new String[] {"--split", "tset"}, new String[] {"--matryoshka-dims", "0"}, new String[] {"--targets", "nothing"},
                new String[] {"--lora-dropout", "1.5"}, new String[] {"--eval-steps", "1"}, new String[] {"--max-memory", "lots"},
                new String[] {"--max-memory", "1k"}, new String[] {"--batch-sampler", "random"}, new String[] {"--scheduler", "zigzag"})) {
            cases.add(error("finetune", "option " + String.join(" ", o), null, concat(concat(ft, "--train", pairs, "--out", out()), o)));
        }
        cases.add(error("finetune", "--resume without checkpoints", "nothing to resume", concat(ft, "--train", pairs, "--out", out(),
                "--resume")));
        cases.add(error("finetune", "--resume of a missing directory", "nothing to resume", concat(ft, "--train", pairs, "--out",
                out(), "--resume", tmp.resolve("no-checkpoint").toString())));
        cases.add(error("finetune", "--overwrite with --resume", "exclude each other", concat(ft, "--train", pairs, "--out", out(),
                "--resume", "--overwrite")));
        Path used = Files.createDirectories(tmp.resolve("used"));
        Files.writeString(used.resolve("thesis.tex"), "mine");
        cases.add(error("finetune", "a used output directory", used.toString(), concat(ft, "--train", pairs, "--out", used)));
        configs.forEach((name, c) -> cases.add(new Case("finetune", "config: " + name, args(concat(ft, "--train", pairs, "--out", out(),
                "--config", c)), WARNING_CONFIGS.containsKey(name) ? Expect.WARNING : Expect.ERROR,
                WARNING_CONFIGS.getOrDefault(name, c.getFileName().toString()))));
        cases.add(new Case("finetune", "a batch of one pair", args(concat(ft, "--train", tiny(5), "--out", out(), "--split", "all")),
                Expect.WARNING, "leave a batch of one pair"));
        cases.add(new Case("finetune", "duplicate ids", args(concat(ft, "--train", suspicious(), "--out", out())), Expect.WARNING,
                "repeats an earlier record's id"));
        cases.add(new Case("finetune", "a split typo", args(concat(ft, "--train", suspicious(), "--out", out())), Expect.WARNING,
                "split 'tset'"));
        cases.add(new Case("finetune", "an empty passage", args(concat(ft, "--train", suspicious(), "--out", out())), Expect.WARNING,
                "an empty 'passage'"));
        cases.add(new Case("finetune", "a number as a query", args(concat(ft, "--train", dataFiles.get("the field a number"),
                "--out", out(), "--split", "all")), Expect.WARNING, "a number or true/false"));
        cases.add(new Case("finetune", "--max-length above the positions", args("finetune", "--model", model, "--max-steps", "1",
                "--save-steps", "0", "--no-progress", "--lora-r", "2", "--train", pairs, "--out", out(), "--max-length", "512"),
                Expect.WARNING, "max_position_embeddings 64"));

        // ---- run and main
        configs.forEach((name, c) -> cases.add(new Case("run", "config: " + name, args("run", "--config", c, "--print-config"),
                WARNING_CONFIGS.containsKey(name) ? Expect.WARNING : Expect.ERROR,
                WARNING_CONFIGS.getOrDefault(name, c.getFileName().toString()))));
        cases.add(error("run", "no such config", "no-such.yaml", "run", "--config", tmp.resolve("no-such.yaml")));
        cases.add(error("run", "unknown option", null, "run", "--colour"));
        for (String[] o : List.of(new String[] {"--epochs", "many"}, new String[] {"--dims", "0"}, new String[] {"--max-steps", "x"},
                new String[] {"--model", "builtin:nope"}, new String[] {"--data", tmp.resolve("none.jsonl").toString()},
                new String[] {"--max-memory", "x"})) {
            List<Object> a = new ArrayList<>(List.of("main", "--output", out().toString()));
            if (!o[0].equals("--model")) {
                a.addAll(List.of("--model", model.toString()));   // not the built-in: nothing is imported into the user's cache
            }
            a.addAll(Arrays.asList(o));
            cases.add(error("main", "option " + String.join(" ", o), null, a.toArray()));
        }

        // ---- mine-negatives
        dataFiles.forEach((name, f) -> cases.add(name.equals("the field a number")
                ? new Case("mine-negatives", "data: " + name, args("mine-negatives", "--data", f, "--output", out(), "--split", "all"),
                        Expect.WARNING, "a number or true/false")
                : error("mine-negatives", "data: " + name, f, "mine-negatives", "--data", f, "--output", out())));
        for (String[] o : List.of(new String[] {"--num-negatives", "0"}, new String[] {"--method", "magic"},
                new String[] {"--range-min", "-1"}, new String[] {"--sampling", "best"}, new String[] {"--format", "csv"},
                new String[] {"--method", "dense"}, new String[] {"--split", "tset"})) {
            cases.add(error("mine-negatives", "option " + String.join(" ", o), null, concat(List.of("mine-negatives", "--data", pairs,
                    "--output", out()), o)));
        }

        // ---- export-onnx
        for (String name : List.of("missing", "empty dir", "a file", "config.json broken", "weights truncated", "weights random",
                "weights missing", "NaN weight", "model_type unknown")) {
            Path m = models.get(name);
            cases.add(error("export-onnx", "model: " + name, m, "export-onnx", "--model", m, "--output", out()));
        }
        for (String[] o : List.of(new String[] {"--opset", "3"}, new String[] {"--opset", "x"}, new String[] {"--quantize", "int4"})) {
            cases.add(error("export-onnx", "option " + String.join(" ", o), null, concat(List.of("export-onnx", "--model", model,
                    "--output", out()), o)));
        }
        cases.add(error("export-onnx", "output is the model directory", null, "export-onnx", "--model", model, "--output", model));
        cases.add(error("export-onnx", "a foreign output directory", null, "export-onnx", "--model", model, "--output", used));

        // ---- import-onnx
        Path tok = model.resolve("tokenizer.json");
        for (Map.Entry<String, Path> e : badOnnxFiles().entrySet()) {
            cases.add(error("import-onnx", "source: " + e.getKey(), e.getValue(), "import-onnx", "--source", e.getValue(),
                    "--tokenizer", tok, "--output", out()));
        }
        cases.add(error("import-onnx", "builtin that does not exist", "builtin:nope", "import-onnx", "--source", "builtin:nope",
                "--output", out()));
        cases.add(error("import-onnx", "a foreign output directory", used.toString(), "import-onnx", "--source", "builtin:all-minilm-l6-v2",
                "--output", used));
        cases.add(error("import-onnx", "--pooling max", null, "import-onnx", "--source", textFiles.get("random bytes"),
                "--tokenizer", tok, "--output", out(), "--pooling", "max"));

        // ---- hpo
        cases.add(error("hpo", "a study directory without a study", "study", "hpo", "--study", tmp.resolve("no-study"), "--report"));
        cases.add(error("hpo", "trials without data", null, "hpo", "--study", tmp.resolve("s1"), "--trials", "2"));
        configs.forEach((name, c) -> {
            if (!WARNING_CONFIGS.containsKey(name)) {
                cases.add(error("hpo", "space: " + name, c.getFileName().toString(), "hpo", "--study", out(), "--trials", "1",
                        "--data", pairs, "--model", model, "--space", c));
            }
        });
        cases.add(error("hpo", "--trials 0", null, "hpo", "--study", out(), "--trials", "0", "--data", pairs, "--model", model));

        // ---- the command line itself
        cases.add(error("no-such-command", "unknown command", null, "no-such-command"));
        return cases;
    }

    /** An empty (or blank) input may be a warning (nothing to do) rather than an error. */
    private static Case either(String name, Case c) {
        return name.equals("empty") || name.equals("blank lines") ? new Case(c.command(), c.name(), c.args(), Expect.EITHER, c.mention()) : c;
    }

    private Path out() {
        return tmp.resolve("out-" + outputs++).resolve("result.jsonl");
    }

    private static Case error(String command, String name, Object mention, Object... args) {
        return new Case(command, name, args(args), Expect.ERROR, mention == null ? null
                : mention instanceof Path p ? p.getFileName().toString() : mention.toString());
    }

    private static List<String> args(Object... a) {
        List<String> out = new ArrayList<>();
        for (Object o : a) {
            if (o instanceof Object[] arr) {
                out.addAll(args(arr));
            } else if (o instanceof List<?> l) {
                out.addAll(args(l.toArray()));
            } else {
                out.add(o.toString());
            }
        }
        return out;
    }

    private static Object[] concat(List<?> a, Object... b) {
        List<Object> all = new ArrayList<>(a);
        all.addAll(Arrays.asList(b));
        return all.toArray();
    }

    private static Object[] concat(Object[] a, Object... b) {
        return concat(Arrays.asList(a), b);
    }

    // ------------------------------------------------------------------ bad files

    /** Text files that are no JSONL of records with {@code field}. */
    private Map<String, Path> badTextFiles(String field) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad-" + field));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("empty", new byte[0]);
        files.put("blank lines", "\n  \n\n".getBytes(StandardCharsets.UTF_8));
        byte[] random = new byte[4096];
        new Random(15).nextBytes(random);
        files.put("random bytes", random);
        String other = field.equals("text") ? "" : ", \"passage\": \"p\"";
        files.put("latin-1", ("{\"" + field + "\": \"caf\u00e9\"" + other + "}\n").getBytes(StandardCharsets.ISO_8859_1));
        files.put("utf-16", ("{\"" + field + "\": \"x\"" + other + "}\n").getBytes(StandardCharsets.UTF_16));
        files.put("NUL byte", ("{\"" + field + "\": \"a\u0000b\"" + other + "}\n").getBytes(StandardCharsets.UTF_8));
        files.put("truncated JSON", ("{\"" + field + "\": \"abc").getBytes(StandardCharsets.UTF_8));
        files.put("a JSON array", "[1, 2, 3]\n".getBytes(StandardCharsets.UTF_8));
        files.put("a JSON number", "42\n".getBytes(StandardCharsets.UTF_8));
        files.put("the field missing", "{\"other\": \"x\"}\n".getBytes(StandardCharsets.UTF_8));
        files.put("the field a number", ("{\"" + field + "\": 5" + other + "}\n").getBytes(StandardCharsets.UTF_8));
        files.put("the field null", ("{\"" + field + "\": null" + other + "}\n").getBytes(StandardCharsets.UTF_8));
        files.put("the field an object", ("{\"" + field + "\": {\"a\": 1}" + other + "}\n").getBytes(StandardCharsets.UTF_8));
        files.put("a good line then garbage", ("{\"" + field + "\": \"fine\"" + other + "}\n}{\n").getBytes(StandardCharsets.UTF_8));
        Map<String, Path> out = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path f = dir.resolve("bad-" + i++ + ".jsonl");
            Files.write(f, e.getValue());
            out.put(e.getKey(), f);
        }
        out.put("missing", dir.resolve("missing.jsonl"));
        out.put("a directory", Files.createDirectories(dir.resolve("a-directory.jsonl")));
        Path csv = dir.resolve("unbalanced.csv");
        Files.writeString(csv, field + ",passage\n\"open quote,x\n");
        out.put("CSV with an unbalanced quote", csv);
        Path txt = dir.resolve("data.txt");
        Files.writeString(txt, "just text\n");
        out.put("unknown file type", txt);
        return out;
    }

    /** Copies of the tiny model, each damaged one way. */
    private Map<String, Path> badModels() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("bad-models"));
        Map<String, Path> out = new LinkedHashMap<>();
        out.put("missing", root.resolve("missing"));
        out.put("empty dir", Files.createDirectories(root.resolve("empty")));
        Path file = root.resolve("a-file");
        Files.writeString(file, "not a directory");
        out.put("a file", file);
        record Damage(String name, IoAction action) {
        }
        List<Damage> list = List.of(
                new Damage("config.json broken", d -> Files.writeString(d.resolve("config.json"), "{\"hidden_size\": ")),
                new Damage("model_type unknown", d -> edit(d.resolve("config.json"), o -> o.put("model_type", "gpt2"))),
                new Damage("hidden_size mismatch", d -> edit(d.resolve("config.json"), o -> o.put("hidden_size", 48))),
                new Damage("config.json an array", d -> Files.writeString(d.resolve("config.json"), "[]")),
                new Damage("weights truncated", d -> truncate(d.resolve("model.safetensors"))),
                new Damage("weights random", d -> {
                    byte[] b = new byte[2048];
                    new Random(3).nextBytes(b);
                    Files.write(d.resolve("model.safetensors"), b);
                }),
                new Damage("weights missing", d -> Files.delete(d.resolve("model.safetensors"))),
                new Damage("NaN weight", d -> nanWeight(d.resolve("model.safetensors"))),
                new Damage("tokenizer.json broken", d -> Files.writeString(d.resolve("tokenizer.json"), "{\"model\": {")),
                new Damage("tokenizer.json missing", d -> {   // and vocab.txt, which would stand in for it
                    Files.delete(d.resolve("tokenizer.json"));
                    Files.deleteIfExists(d.resolve("vocab.txt"));
                }),
                new Damage("token id beyond the embedding table", d -> {
                    ObjectNode tok = (ObjectNode) JSON.readTree(d.resolve("tokenizer.json").toFile());
                    ((ObjectNode) tok.path("model").path("vocab")).put("zzzzz", 99999);
                    Files.writeString(d.resolve("tokenizer.json"), JSON.writeValueAsString(tok));
                }),
                new Damage("modules.json broken", d -> Files.writeString(d.resolve("modules.json"), "[{\"idx\": ")),
                new Damage("pooling config broken", d -> Files.writeString(d.resolve("1_Pooling/config.json"), "{\"word_embedding_dimension\"")));
        for (Damage damage : list) {
            Path d = root.resolve(damage.name().replace(' ', '-').replace('.', '-'));
            FinetuneCommandTest.copyTree(model, d);
            damage.action().apply(d);
            out.put(damage.name(), d);
        }
        return out;
    }

    @FunctionalInterface
    interface IoAction {
        void apply(Path dir) throws IOException;
    }

    private static void edit(Path json, java.util.function.Consumer<ObjectNode> change) throws IOException {
        ObjectNode o = (ObjectNode) JSON.readTree(json.toFile());
        change.accept(o);
        Files.writeString(json, JSON.writeValueAsString(o));
    }

    private static void truncate(Path f) throws IOException {
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
            c.truncate(c.size() / 2);
        }
    }

    /** Sets the last 4 bytes of the file (the last float of the last tensor) to NaN. */
    private static void nanWeight(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        int nan = Float.floatToRawIntBits(Float.NaN);
        for (int i = 0; i < 4; i++) {
            b[b.length - 4 + i] = (byte) (nan >>> (8 * i));
        }
        Files.write(f, b);
    }

    /** Settings files that are no run specification. */
    private Map<String, Path> badConfigs() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad-configs"));
        Map<String, String> files = new LinkedHashMap<>();
        files.put("empty", "");
        files.put("empty JSON object", "{}");
        files.put("comments only", "# nothing here\n");
        files.put("invalid YAML", "learning_rate: [1, 2\n");
        files.put("unknown key", "learning_rat: 1.0e-4\n");
        files.put("wrong type", "learning_rate: fast\n");
        files.put("a list at the root", "- learning_rate: 1\n");
        files.put("a scalar at the root", "hello\n");
        files.put("out of range", "lora_r: -4\n");
        files.put("tabs", "\tlearning_rate: 1\n");
        files.put("duplicate key", "max_steps: 1\nmax_steps: 1\n");
        Map<String, Path> out = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path f = dir.resolve("config-" + i++ + ".yaml");
            Files.writeString(f, e.getValue());
            out.put(e.getKey(), f);
        }
        Path binary = dir.resolve("binary.yaml");
        byte[] b = new byte[512];
        new Random(9).nextBytes(b);
        Files.write(binary, b);
        out.put("binary", binary);
        out.put("a directory", Files.createDirectories(dir.resolve("dir.yaml")));
        Path json = dir.resolve("broken.json");
        Files.writeString(json, "{\"learning_rate\": 1e-4,}");
        out.put("invalid JSON", json);
        return out;
    }

    /** Files given as an ONNX model that are none. */
    private Map<String, Path> badOnnxFiles() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad-onnx"));
        Map<String, Path> out = new LinkedHashMap<>();
        byte[] random = new byte[8192];
        new Random(19).nextBytes(random);
        out.put("random bytes", Files.write(dir.resolve("random.onnx"), random));
        out.put("empty", Files.write(dir.resolve("empty.onnx"), new byte[0]));
        out.put("text", Files.writeString(dir.resolve("text.onnx"), "this is not a model\n"));
        out.put("a safetensors file", Files.copy(model.resolve("model.safetensors"), dir.resolve("weights.onnx")));
        out.put("missing", dir.resolve("missing.onnx"));
        out.put("a directory", Files.createDirectories(dir.resolve("dir.onnx")));
        return out;
    }

    /** Pairs of the tiny set: {@code n} of them. */
    private Path tiny(int n) throws IOException {
        Path f = tmp.resolve("tiny-" + n + ".jsonl");
        StringBuilder sb = new StringBuilder();
        for (String[] p : TinyModelDir.pairs(n)) {
            sb.append(JSON.writeValueAsString(JSON.createObjectNode().put("query", p[0]).put("passage", p[1]))).append('\n');
        }
        Files.writeString(f, sb);
        return f;
    }

    /** Legal data that deserves warnings: a repeated id, a split typo, an empty passage. */
    private Path suspicious() throws IOException {
        Path f = tmp.resolve("suspicious.jsonl");
        StringBuilder sb = new StringBuilder(Files.readString(pairs));
        sb.append("{\"id\": \"r1\", \"query\": \"again\", \"passage\": \"again too\", \"split\": \"train\"}\n");
        sb.append("{\"id\": \"x1\", \"query\": \"typo\", \"passage\": \"typo too\", \"split\": \"tset\"}\n");
        sb.append("{\"id\": \"x2\", \"query\": \"empty\", \"passage\": \"\", \"split\": \"train\"}\n");
        Files.writeString(f, sb);
        return f;
    }
}
