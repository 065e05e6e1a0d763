package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's resume promise, issue 15 item 6: a run killed at a random point and resumed with
 * {@code --resume} (Trainer.train("latest")) writes a final adapter whose SHA-256 equals the
 * uninterrupted run's, in N of N trials (N = {@value #TRIALS}).
 *
 * <p>The real engine on a tiny model ({@link TinyModelDir}: BERT hidden 32, 2 layers), QLoRA over an
 * NF4 base with LoRA dropout 0.1 and model dropout: 6 steps of batch 4, a checkpoint every 2 steps.
 * Each trial draws a step (from a fixed seed, so a failure repeats) and, in turn, where the kill lands:
 * after that step's update, or inside the write of the next checkpoint (before its adapter files,
 * halfway through {@code trainer_state.safetensors}, before {@code trainer_state.json}, or before the
 * rename).
 * The kill is an {@link Error} thrown there ({@link Checkpoints#writeHook}, a listener): nothing in
 * the trainer catches it, so the files on disk are those a killed process leaves. A kill of a real
 * process (destroyForcibly) is {@code KillResumeProcessTest} in the app module.
 */
class KillResumeTest {

    static final int TRIALS = 6;
    static final int STEPS = 6;

    @TempDir
    Path tmp;

    /** A kill: an Error, so no catch (IOException) or finally-cleanup in the trainer can mistake it for a handled fault. */
    static final class Killed extends Error {
        Killed(String where) {
            super("simulated kill " + where);
        }
    }

    @AfterEach
    void noHook() {
        Checkpoints.writeHook = (part, path) -> { };
    }

    @Test
    void aRunKilledAnywhereAndResumedEndsWithTheUninterruptedAdapterBitForBit() throws Exception {
        Path modelDir = TinyModelDir.write(tmp.resolve("tiny"), 5);
        List<Example> pairs = new ArrayList<>();
        for (String[] p : TinyModelDir.pairs(24)) {
            pairs.add(Example.pair(p[0], p[1]));
        }
        Dataset data = new Dataset("tiny pairs", ExampleFormat.PAIR, pairs);

        String expected = sha256(train(modelDir, data, tmp.resolve("whole"), null, null, false).resolve("adapter_model.safetensors"));

        Random random = new Random(20261202);
        List<String> kills = new ArrayList<>();
        int equal = 0;
        String[] parts = {"adapter", Checkpoints.STATE_ARRAYS, Checkpoints.STATE_JSON, "rename"};
        for (int trial = 0; trial < TRIALS; trial++) {
            long t0 = System.nanoTime();
            Path out = tmp.resolve("trial-" + trial);
            int step = 1 + random.nextInt(STEPS);
            // every place a kill can land is met: after a step's update, then each part of a checkpoint write in turn
            boolean inCheckpoint = trial % (parts.length + 1) != 0;
            String part = inCheckpoint ? parts[trial % (parts.length + 1) - 1] : null;
            long cut = random.nextLong();
            String where;
            TrainerListener listener = null;
            if (inCheckpoint) {
                int checkpointStep = (step + 1) / 2 * 2;                 // the next checkpoint at or after the step
                String dir = Checkpoints.name(checkpointStep) + ".tmp";
                where = "inside the write of " + Checkpoints.name(checkpointStep) + ", at " + part;
                Checkpoints.writeHook = (p, path) -> {
                    boolean ours = (p.equals("rename") ? path.getFileName().toString() + ".tmp" : p.equals("adapter")
                            ? path.getFileName().toString() : path.getParent().getFileName().toString()).equals(dir);
                    if (ours && p.equals(part)) {
                        if (p.equals(Checkpoints.STATE_ARRAYS)) {
                            // the kill lands halfway through the arrays file: a random-length prefix of random bytes is on disk
                            byte[] prefix = new byte[(int) Math.floorMod(cut, 4096)];
                            new Random(cut).nextBytes(prefix);
                            Files.write(path, prefix);
                        }
                        throw new Killed(where(path));
                    }
                };
            } else {
                where = "after the update of step " + step;
                listener = new TrainerListener() {
                    @Override
                    public void onStepEnd(StepOutcome s) {
                        if (s.step() == step) {
                            throw new Killed("after step " + step);
                        }
                    }
                };
            }
            try {
                train(modelDir, data, out, listener, null, false);
                throw new AssertionError("trial " + trial + ": the kill " + where + " did not happen");
            } catch (Killed expectedKill) {
                // as a killed process: whatever is on disk stays
            }
            Checkpoints.writeHook = (p, path) -> { };
            List<Path> left = Checkpoints.sorted(out);
            boolean anyCheckpoint = !left.isEmpty();
            // the resumed process: a model with other initial adapters, which the checkpoint replaces
            // (without a checkpoint the user starts the same command afresh)
            Path finalDir = train(modelDir, data, out, null, anyCheckpoint ? "latest" : null, anyCheckpoint);
            String got = sha256(finalDir.resolve("adapter_model.safetensors"));
            kills.add("trial " + trial + ": killed " + where + (anyCheckpoint ? ", resumed from "
                    + left.get(left.size() - 1).getFileName() : ", no checkpoint yet: started afresh")
                    + (got.equals(expected) ? ": equal" : ": DIFFERENT " + got) + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
            if (got.equals(expected)) {
                equal++;
            }
        }
        System.out.println(String.join("\n", kills));
        assertEquals(TRIALS, equal, "final adapter SHA-256 " + expected + " in " + equal + " of " + TRIALS + " trials:\n"
                + String.join("\n", kills));
    }

    private static String where(Path path) {
        return "writing " + path.getParent().getFileName() + "/" + path.getFileName();
    }

    private static final java.util.Map<Path, ModelDirectory> base = new java.util.HashMap<>();

    /** One run into {@code out}; returns its final/ directory. */
    private static Path train(Path modelDir, Dataset data, Path out, TrainerListener listener, String resume, boolean otherInit)
            throws IOException {
        // the base model read once for the test (a resumed process reads it again: the same bytes)
        ModelDirectory md = base.computeIfAbsent(modelDir, d -> {
            try {
                return ModelDirectory.read(d);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        LoraTrainingModel model = LoraTrainingModel.fromAdapters(md, LoraModel.init(md.config(),
                new LoraConfig(4, 8, 0.1, List.of("all-linear"), false), otherInit ? 99 : 7), BaseQuantization.NF4, 32, true);
        TrainingArguments args = TrainingArguments.builder(out).maxSteps(STEPS).perDeviceTrainBatchSize(4).learningRate(1e-2)
                .warmupSteps(1).saveSteps(2).loggingSteps(1).seed(7).disableTqdm(true).build();
        Trainer trainer = new Trainer(model, data, new MultipleNegativesRankingLoss(), args, null, listener);
        return (resume == null ? trainer.train() : trainer.train(resume)).finalDir();
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
