package dev.embedtune.train.trainer;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The learning-rate schedules of Hugging Face's {@code SchedulerType} that embedtune supports, by
 * their {@code lr_scheduler_type} names. A closed set, so a typo in a config file fails at load
 * time rather than silently training at a constant rate.
 */
public enum SchedulerType {
    /** {@code get_constant_schedule}: the base rate throughout, warm-up ignored. */
    CONSTANT("constant"),
    /** {@code get_constant_schedule_with_warmup}: linear warm-up from 0, then the base rate. */
    CONSTANT_WITH_WARMUP("constant_with_warmup"),
    /** {@code get_linear_schedule_with_warmup}: warm-up, then linear decay to 0 at the last step. */
    LINEAR("linear"),
    /** {@code get_cosine_schedule_with_warmup} (num_cycles 0.5): warm-up, then half a cosine down to 0. */
    COSINE("cosine");

    private final String hfName;

    SchedulerType(String hfName) {
        this.hfName = hfName;
    }

    /** The name Hugging Face uses in {@code lr_scheduler_type}. */
    public String hfName() {
        return hfName;
    }

    /**
     * The type named {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the value and listing the supported ones
     */
    public static SchedulerType parse(String name) {
        for (SchedulerType t : values()) {
            if (t.hfName.equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown lr_scheduler_type \"" + name + "\"; supported: "
                + Arrays.stream(values()).map(SchedulerType::hfName).collect(Collectors.joining(", ")));
    }
}
