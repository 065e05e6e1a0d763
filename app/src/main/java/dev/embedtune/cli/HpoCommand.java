package dev.embedtune.cli;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.DatasetFormatException;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.app.hpo.Study;
import dev.embedtune.app.hpo.StudyReport;
import dev.embedtune.app.hpo.StudySpec;
import dev.embedtune.app.hpo.TrainingObjective;
import dev.embedtune.app.hpo.TrialRecord;
import dev.embedtune.train.pipeline.RunSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune hpo}: runs a hyperparameter study, or re-renders its report.
 *
 * <ul>
 *   <li>{@code hpo --study DIR --space FILE.yaml --trials N --data FILE [options]}: runs trials until the
 *       study holds N (creating the study from the space file, or resuming/extending the one in DIR),
 *       each fine-tuning with {@link TrainingObjective} on the train split and scored on a group-aware
 *       validation part of it; then writes the report and prints the best trial. Several processes may
 *       run the same command on one study directory at once.</li>
 *   <li>{@code hpo --study DIR --report}: renders the report ({@code DIR/report/report.md},
 *       {@code report.json}, PNG charts) from the recorded trials and prints the best trial. Works while
 *       the study is running (each file is replaced atomically).</li>
 * </ul>
 */
@Command(name = "hpo", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = HpoCommand.Defaults.class,
        description = {"Hyperparameter studies: run trials that fine-tune with QLoRA (random search + asynchronous successive "
                + "halving), or re-render a study's report (--report)."})
public final class HpoCommand implements Callable<Integer> {

    @Option(names = "--study", required = true, paramLabel = "DIR", description = "The study directory (holds study.json and trials/).")
    Path study;

    @Option(names = "--report",
            description = "Only write DIR/report/report.md, report.json, history.png and score_vs_<hyperparameter>.png.")
    boolean report;

    @Option(names = "--space", paramLabel = "FILE.yaml",
            description = "The study's space, budget, metric and seed; needed to create a study, checked against an existing one.")
    Path space;

    @Option(names = "--trials", paramLabel = "N", description = "Run trials until the study holds N (finished or running).")
    Integer trials;

    @Option(names = "--data", paramLabel = "FILE", description = "Training data (.jsonl, .csv, .tsv) with a group column.")
    Path data;

    @Option(names = "--columns", paramLabel = "SRC=ROLE,…",
            description = "Column roles, as for finetune (default: anchor/positive/group, else query/passage/group).")
    String columns;

    @Option(names = "--split", defaultValue = "train", paramLabel = "SPLIT",
            description = "The split trials use; a group-aware part of it validates (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--validation-modulus", defaultValue = "5", paramLabel = "N",
            description = "About 1/N of the split's groups validate (default: ${DEFAULT-VALUE}).")
    int validationModulus;

    @Option(names = "--model", paramLabel = "DIR|builtin:NAME",
            description = "Base model when the space has no model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--config", paramLabel = "FILE.yaml",
            description = "A run specification every trial starts from (any key of `embedtune run --print-config`: seed, "
                    + "lr_scheduler_type, lora_r, …); the space's values and the options given here win, and trials set their "
                    + "own length, directory and evaluation.")
    Path config;

    /** The LoRA settings of every trial; a trial's lora_r or lora_alpha, when the space has them, replace --lora-r and --lora-alpha. */
    @Mixin
    LoraOptions lora;

    /** Model and loss settings of every trial; the space's loss or matryoshka_dims, when it has them, win. */
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--eval-dims", split = ",", paramLabel = "D",
            description = "Evaluate every trial at these Matryoshka dimensions (metric keys dim_D_…, primary sequential_score); "
                    + "default: the full embedding (cosine_ndcg@10).")
    List<Integer> evalDims;

    @Option(names = "--work", paramLabel = "DIR", description = "Where trials train, each in a temporary directory (default: DIR/work).")
    Path work;

    @Spec
    CommandSpec spec;

    /**
     * What every trial starts from: the run specification's defaults with no base evaluation, report,
     * mining or Matryoshka loss (as {@code finetune}), training in {@code workDir}.
     */
    static RunSpec base(Path workDir) {
        return FinetuneCommand.base(workDir);
    }

    /** The --help defaults: {@link #base}'s. */
    static final class Defaults implements picocli.CommandLine.IDefaultValueProvider {
        private final picocli.CommandLine.IDefaultValueProvider spec = SpecOptions.defaults(base(Path.of("work")));

        @Override
        public String defaultValue(picocli.CommandLine.Model.ArgSpec arg) throws Exception {
            return spec.defaultValue(arg);
        }
    }

    /** Errors are reported by {@link ErrorHandler}: one line naming the file or key. */
    @Override
    public Integer call() throws Exception {
        return run();
    }

    private int run() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Study s;
        if (report) {
            s = Study.open(study, Study.Options.defaults());
        } else {
            s = runTrials(out);
        }
        StudyReport.Files files = StudyReport.write(s);
        List<TrialRecord> records = s.trials();
        Optional<TrialRecord> best = Study.best(records);
        out.printf("%d finished trials, %d running or interrupted%n", records.size(), s.running().size());
        best.ifPresentOrElse(
                b -> out.printf("best: trial %d, %s = %.6g, %s%n", b.id(), b.metric(), b.score(), b.settings()),
                () -> out.println("best: no trial has completed yet"));
        out.println("report: " + files.markdown());
        out.println("        " + files.json());
        out.println("charts: " + files.history().getParent());
        out.flush();
        return 0;
    }

    private Study runTrials(PrintWriter out) throws Exception {
        if (trials == null || data == null) {
            throw new ParameterException(spec.commandLine(), "running trials needs --trials and --data (or pass --report to only "
                    + "render the report of an existing study)");
        }
        if (!Files.isRegularFile(data)) {
            throw new ParameterException(spec.commandLine(), "--data " + data + ": no such file");
        }
        Study s;
        if (space != null) {
            s = Study.create(study, StudySpec.read(space), Study.Options.defaults());
        } else if (Files.isRegularFile(study.resolve("study.json"))) {
            s = Study.open(study, Study.Options.defaults());
        } else {
            throw new ParameterException(spec.commandLine(), "--study " + study + " holds no study yet: pass --space FILE.yaml to create it");
        }
        Path workDir = work != null ? work : study.resolve("work");
        RunSpec base = base(workDir);
        if (config != null) {
            base = SettingsFile.readSpec(config, base, RunCommand.warnings(spec, "hpo"));
        }
        try {
            base = base.withOverrides(SpecOptions.overrides(spec.commandLine().getParseResult()), "command line",
                    RunCommand.warnings(spec, "hpo"));
            TrainingObjective.check(s.spec(), base, RunCommand.warnings(spec, "hpo"));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), (space != null ? space : study.resolve("study.json")) + ": " + e.getMessage(), e);
        }
        ColumnMapping mapping = columns != null ? ColumnMapping.parse(columns) : DatasetLoader.defaultMapping(data);
        Dataset trainSplit = DatasetLoader.load(data, mapping, split);
        TrainingObjective objective = new TrainingObjective(trainSplit, validationModulus, base,
                evalDims == null ? List.of() : evalDims, workDir);
        out.printf("hpo: %,d examples train and %,d validate (%s); up to %d trials%n", objective.trainingPart().size(),
                objective.validationPart().size(), trainSplit.name(), trials);
        out.flush();
        s.optimize(objective, trials);
        return s;
    }
}
