package dev.embedtune.train.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.trainer.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The one guard of a run's output directory, for every front end ({@code main}, {@code run},
 * {@code finetune}, HPO trials, programs): runs never mix, and nothing embedtune did not write is
 * ever deleted.
 *
 * <ul>
 *   <li>An absent or empty directory is used as it is.</li>
 *   <li>A non-empty one is refused, unless {@code overwrite_output_dir} (the files a run writes,
 *       {@link #RUN_FILES}, are deleted, but for the previous result, {@link #RESULT_FILES}, which
 *       stays until the new run replaces it; every other file stays) or {@code resume_from_checkpoint}.</li>
 *   <li>The resume rule: {@code latest} needs a complete {@code checkpoint-<step>} in the directory, a
 *       checkpoint directory must exist; the trainer then continues bit-identically.</li>
 * </ul>
 */
public final class OutputDirectory {

    /** The names a run writes into its output directory (temporary ones too): what an overwrite deletes. */
    public static final Pattern RUN_FILES = Pattern.compile("metrics\\.jsonl|report\\.(json|md)|\\w+_per_dim\\.png"
            + "|training_curves\\.png|adapter|model|onnx|final(\\.tmp)?|data|checkpoint-\\d+(\\.tmp)?|\\.(adapter|model|final|onnx)\\..+"
            + "|\\..+\\.tmp");

    private OutputDirectory() {
    }

    /**
     * Makes {@code spec}'s output directory ready for the run, or says why it cannot be.
     *
     * @throws IllegalArgumentException when the directory holds a run (or other files) and the spec
     *     neither overwrites nor resumes, or when there is nothing to resume
     */
    public static void prepare(RunSpec spec) throws IOException {
        Path dir = spec.outputDir();
        String resume = spec.resumeFromCheckpoint();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output directory " + dir + " exists and is not a directory");
        }
        if (resume != null) {
            boolean latest = resume.equals("latest");
            if (latest ? !Files.isDirectory(dir) || Checkpoints.sorted(dir).isEmpty() : !Files.isDirectory(Path.of(resume))) {
                throw new IllegalArgumentException("nothing to resume: " + (latest ? dir + " holds no complete checkpoint-<step> directory"
                        : resume + " is not a directory") + "; start afresh without --resume (resume_from_checkpoint)");
            }
            return;
        }
        List<Path> entries = entries(dir);
        if (entries.isEmpty()) {
            return;
        }
        boolean ours = entries.stream().anyMatch(p -> RUN_FILES.matcher(p.getFileName().toString()).matches());
        if (!spec.overwriteOutputDir()) {
            throw new IllegalArgumentException("output directory " + dir + " is not empty (" + entries.size() + " entries, e.g. "
                    + entries.get(0).getFileName() + ")" + (ours
                    ? "; pass --overwrite (overwrite_output_dir: true) to replace the previous run, or --resume"
                            + " (resume_from_checkpoint: latest) to continue its training"
                    : " and holds no embedtune run; pick another directory, or pass --overwrite (overwrite_output_dir: true)"
                            + " to write beside its files (none of them is deleted)"));
        }
        for (Path p : entries) {
            String name = p.getFileName().toString();
            if (RUN_FILES.matcher(name).matches() && !RESULT_FILES.matcher(name).matches()) {
                AtomicFiles.deleteTree(p);
            }
        }
    }

    /**
     * The previous run's result: kept by an overwrite until the new run has its own in place (each is
     * replaced atomically when it is written, the report dropped by {@link #dropPreviousReport}), so a
     * run that fails or collapses never leaves the directory without a good result it had.
     */
    static final Pattern RESULT_FILES = Pattern.compile("adapter|model|final|onnx|report\\.(json|md)|\\w+_per_dim\\.png|training_curves\\.png");

    /**
     * Deletes the report, charts and ONNX export of a previous run, once the new run's adapter and
     * model are in place: they describe the replaced result (the new run writes its own when asked).
     */
    public static void dropPreviousReport(Path dir) throws IOException {
        for (Path p : entries(dir)) {
            String name = p.getFileName().toString();
            if (RESULT_FILES.matcher(name).matches() && !name.equals("adapter") && !name.equals("model") && !name.equals("final")) {
                AtomicFiles.deleteTree(p);
            }
        }
    }

    /** The names in a model directory embedtune writes ({@code ModelDirectoryWriter}, {@code import-onnx}). */
    static final Pattern MODEL_FILES = Pattern.compile("model\\.safetensors|config\\.json|tokenizer\\.json|tokenizer_config\\.json"
            + "|special_tokens_map\\.json|vocab\\.txt|sentence_bert_config\\.json|config_sentence_transformers\\.json"
            + "|modules\\.json|README\\.md|\\d+_[A-Za-z]+");

    /** How a model directory is to be written into its output ({@link #prepareModelDirectory}). */
    public enum ModelOutput {
        /** Absent, empty, or a model directory embedtune wrote: build it beside and swap it in whole. */
        REPLACE,
        /** Other files are there and --overwrite was given: write the model's files among them, delete nothing else. */
        BESIDE
    }

    /**
     * The guard of an output that is one model directory ({@code import-onnx --output}): an absent or
     * empty directory, or a model directory embedtune wrote (its {@code config.json} has
     * {@code embedtune_version} and it holds nothing but a model directory's files), is replaced whole;
     * any other non-empty directory is refused unless {@code overwrite}, and then the model's files are
     * written beside what is there ({@link #moveInto}), which is never deleted.
     *
     * @throws IllegalArgumentException naming the directory and a file embedtune did not write
     */
    public static ModelOutput prepareModelDirectory(Path dir, boolean overwrite) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": exists and is not a directory; choose another output directory");
        }
        List<Path> entries = entries(dir);
        List<Path> foreign = entries.stream().filter(p -> !MODEL_FILES.matcher(p.getFileName().toString()).matches()).toList();
        boolean ours = !entries.isEmpty() && foreign.isEmpty() && writtenByEmbedtune(dir.resolve("config.json"));
        if (entries.isEmpty() || ours) {
            return ModelOutput.REPLACE;
        }
        if (!overwrite) {
            throw new IllegalArgumentException(dir + ": not empty and not a model directory embedtune wrote ("
                    + (foreign.isEmpty() ? "its config.json has no embedtune_version" : "it holds " + foreign.get(0).getFileName()
                    + (foreign.size() > 1 ? " and " + (foreign.size() - 1) + " more" : "")) + "); choose another output directory,"
                    + " or pass --overwrite to write the model's files beside what is there (nothing else is deleted)");
        }
        return ModelOutput.BESIDE;
    }

    /**
     * Moves every entry of the freshly written directory {@code fresh} into {@code dir}, replacing entries
     * of the same name (a folder as a whole, atomically), keeping every other entry of {@code dir}; then
     * deletes {@code fresh}.
     */
    public static void moveInto(Path fresh, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Path p : entries(fresh)) {
            Path target = dir.resolve(p.getFileName().toString());
            if (Files.isDirectory(p)) {
                AtomicFiles.replaceDirectory(p, target);
            } else {
                Files.move(p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        AtomicFiles.deleteTree(fresh);
    }

    private static boolean writtenByEmbedtune(Path configJson) {
        try {
            return new ObjectMapper().readTree(configJson.toFile()).hasNonNull("embedtune_version");
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
