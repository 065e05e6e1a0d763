package dev.embedtune.train.trainer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.train.eval.EvaluationResult;
import java.nio.file.Path;

/**
 * Callbacks from the training loop (HF's {@code TrainerCallback}, reduced to what embedtune uses):
 * progress display, early stopping by exception, tests that simulate a crash. Every method does
 * nothing by default. An exception thrown from a callback ends {@link Trainer#train} at that point,
 * leaving the checkpoints on disk as they are.
 */
public interface TrainerListener {

    /** Training is about to start (or continue) at {@code startStep} of {@code maxSteps}. */
    default void onTrainBegin(int startStep, int maxSteps) {
    }

    /** An optimizer step was applied; called before that step's logging, evaluation and checkpoint. */
    default void onStepEnd(StepOutcome outcome) {
    }

    /** A line was appended to {@code metrics.jsonl}. */
    default void onLog(ObjectNode line) {
    }

    /** The evaluator ran at {@code step}. */
    default void onEvaluate(int step, EvaluationResult result) {
    }

    /** A checkpoint is complete in {@code dir}. */
    default void onCheckpoint(int step, Path dir) {
    }

    /** Training finished normally. */
    default void onTrainEnd(TrainResult result) {
    }
}
