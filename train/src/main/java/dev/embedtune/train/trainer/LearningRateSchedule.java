package dev.embedtune.train.trainer;

/**
 * The learning rate at each optimizer step, exactly as Hugging Face's {@code get_scheduler}
 * (transformers/optimization.py) computes it: {@code lr(s) = baseLr · lambda(s)}, where {@code s} is
 * the number of optimizer steps already taken (0 for the first step). PyTorch's {@code LambdaLR} sets
 * the rate for step 0 at construction and advances after every optimizer step, so with warm-up the
 * very first update uses rate 0, as in HF.
 *
 * <pre>
 * warm-up (s &lt; W):        lambda = s / max(1, W)
 * constant:                lambda = 1                       (no warm-up at all)
 * constant_with_warmup:    lambda = 1
 * linear:                  lambda = max(0, (T - s) / max(1, T - W))
 * cosine (num_cycles 0.5): p = (s - W) / max(1, T - W);  lambda = max(0, 0.5 · (1 + cos(π · 2 · 0.5 · p)))
 * </pre>
 *
 * @param type the schedule
 * @param baseLr the peak learning rate ({@code learning_rate})
 * @param warmupSteps W, the number of warm-up steps
 * @param totalSteps T, the number of optimizer steps of the whole run
 */
public record LearningRateSchedule(SchedulerType type, double baseLr, int warmupSteps, int totalSteps) {

    public LearningRateSchedule {
        if (warmupSteps < 0 || totalSteps < 0) {
            throw new IllegalArgumentException("warmupSteps and totalSteps must be >= 0, got " + warmupSteps + " and " + totalSteps);
        }
    }

    /**
     * HF's {@code TrainingArguments.get_warmup_steps}: {@code warmup_steps} when positive, else
     * {@code ceil(totalSteps · warmup_ratio)}.
     */
    public static int warmupSteps(int warmupSteps, double warmupRatio, int totalSteps) {
        return warmupSteps > 0 ? warmupSteps : (int) Math.ceil(totalSteps * warmupRatio);
    }

    /** The multiplier of {@link #baseLr()} for the optimizer step taken after {@code step} steps. */
    public double lambda(int step) {
        if (type == SchedulerType.CONSTANT) {
            return 1.0;
        }
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        return switch (type) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }

    /** {@code baseLr · lambda(step)}: the rate of the optimizer step taken after {@code step} steps. */
    public double learningRate(int step) {
        return baseLr * lambda(step);
    }
}
