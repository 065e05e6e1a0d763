package dev.embedtune.train.pipeline;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.trainer.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 *       {@link #RUN_FILES}, are deleted; every other file stays) or {@code resume_from_checkpoint}.</li>
 *   <li>The resume rule: {@code latest} needs a complete {@code checkpoint-<step>} in the directory, a
 *       checkpoint directory must exist; the trainer then continues bit-identically.</li>
 * </ul>
 */
public final class OutputDirectory {

    /** The names a run writes into its output directory (temporary ones too): what an overwrite deletes. */
    public static final Pattern RUN_FILES = Pattern.compile("metrics\\.jsonl|report\\.(json|md)|\\w+_per_dim\\.png"
            + "|training_curves\\.png|adapter|model|final(\\.tmp)?|data|checkpoint-\\d+(\\.tmp)?|\\.(adapter|model|final)\\..+"
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
            if (RUN_FILES.matcher(p.getFileName().toString()).matches()) {
                AtomicFiles.deleteTree(p);
            }
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
