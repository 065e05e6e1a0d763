package dev.embedtune.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Everything besides arrays that a resumed run needs to continue exactly where a checkpoint was
 * written: the counters, the data position, the logging accumulators and the best checkpoint so far.
 * Written as {@code trainer_state.json} (HF keeps the same kind of file under the same name).
 *
 * @param globalStep optimizer steps taken
 * @param epoch the epoch the next micro-batch comes from
 * @param batchInEpoch the index of the next micro-batch within {@code epoch}'s batches
 * @param schedulerStep the schedule's step (PyTorch's {@code LambdaLR.last_epoch}); equals {@code globalStep}
 * @param optimizerSteps AdamW's step count {@code t}
 * @param lossSinceLog the summed step losses since the last training log line
 * @param lastLoggedStep the step of the last training log line (0 if none)
 * @param totalLoss the summed step losses of the whole run, for {@code train_loss}
 * @param bestMetric the best value of the selection metric so far, or null
 * @param bestStep the step at which {@code bestMetric} was measured, or -1
 * @param bestCheckpoint the directory name of the best checkpoint (e.g. {@code checkpoint-40}), or null
 * @param logHistoryLength lines of {@code metrics.jsonl} written up to and including this checkpoint's step
 * @param args the run's arguments, for the record and for checking a resume
 */
public record TrainerState(
        int globalStep,
        int epoch,
        int batchInEpoch,
        int schedulerStep,
        long optimizerSteps,
        double lossSinceLog,
        int lastLoggedStep,
        double totalLoss,
        Double bestMetric,
        int bestStep,
        String bestCheckpoint,
        int logHistoryLength,
        TrainingArguments args) {

    /** Version of this file's layout. */
    public static final int FORMAT = 1;

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("format", FORMAT);
        o.put("global_step", globalStep);
        o.put("epoch", epoch);
        o.put("batch_in_epoch", batchInEpoch);
        o.put("scheduler_step", schedulerStep);
        o.put("optimizer_steps", optimizerSteps);
        // doubles are written in Java's shortest round-trip form, so they read back bit for bit
        o.put("loss_since_log", lossSinceLog);
        o.put("last_logged_step", lastLoggedStep);
        o.put("total_loss", totalLoss);
        if (bestMetric != null) {
            o.put("best_metric", bestMetric);
        } else {
            o.putNull("best_metric");
        }
        o.put("best_step", bestStep);
        if (bestCheckpoint != null) {
            o.put("best_model_checkpoint", bestCheckpoint);
        } else {
            o.putNull("best_model_checkpoint");
        }
        o.put("log_history_length", logHistoryLength);
        o.set("args", args.toJson());
        return o;
    }

    /**
     * Reads {@link #toJson()}'s form.
     *
     * @throws IllegalArgumentException naming {@code source} and the missing or wrong field
     */
    public static TrainerState fromJson(JsonNode o, String source) {
        JsonNode format = o.get("format");
        if (format == null || format.intValue() != FORMAT) {
            throw new IllegalArgumentException(source + ": expected format " + FORMAT + ", found " + format);
        }
        JsonNode best = o.get("best_metric");
        JsonNode bestCheckpoint = o.get("best_model_checkpoint");
        return new TrainerState(
                require(o, "global_step", source).intValue(),
                require(o, "epoch", source).intValue(),
                require(o, "batch_in_epoch", source).intValue(),
                require(o, "scheduler_step", source).intValue(),
                require(o, "optimizer_steps", source).longValue(),
                require(o, "loss_since_log", source).doubleValue(),
                require(o, "last_logged_step", source).intValue(),
                require(o, "total_loss", source).doubleValue(),
                best == null || best.isNull() ? null : best.doubleValue(),
                require(o, "best_step", source).intValue(),
                bestCheckpoint == null || bestCheckpoint.isNull() ? null : bestCheckpoint.textValue(),
                require(o, "log_history_length", source).intValue(),
                TrainingArguments.fromJson(require(o, "args", source), source + " (args)"));
    }

    private static JsonNode require(JsonNode o, String key, String source) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException(source + ": missing field " + key);
        }
        return n;
    }
}
