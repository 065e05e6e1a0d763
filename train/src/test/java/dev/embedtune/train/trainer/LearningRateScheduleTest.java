package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Each schedule against values worked out by hand from transformers/optimization.py (T = 10 steps,
 * W = 2 warm-up steps). Tolerance 1e-15: the formulas are a few double operations.
 */
class LearningRateScheduleTest {

    private static final double TOL = 1e-15;

    @Test
    void linearWarmsUpThenDecaysToZeroAtTheLastStep() {
        LearningRateSchedule s = new LearningRateSchedule(SchedulerType.LINEAR, 1.0, 2, 10);
        assertEquals(0.0, s.lambda(0), TOL);             // the first update of a warm-up run uses rate 0, as in HF
        assertEquals(0.5, s.lambda(1), TOL);             // 1 / 2
        assertEquals(1.0, s.lambda(2), TOL);             // (10 - 2) / 8
        assertEquals(7.0 / 8, s.lambda(3), TOL);
        assertEquals(1.0 / 8, s.lambda(9), TOL);         // the last step's rate
        assertEquals(0.0, s.lambda(10), TOL);
        assertEquals(0.0, s.lambda(12), TOL);            // clamped at 0
        assertEquals(5e-5 * 7.0 / 8, new LearningRateSchedule(SchedulerType.LINEAR, 5e-5, 2, 10).learningRate(3), 1e-20);
    }

    @Test
    void cosineFollowsHalfACosineAfterWarmUp() {
        LearningRateSchedule s = new LearningRateSchedule(SchedulerType.COSINE, 1.0, 2, 10);
        assertEquals(0.5, s.lambda(1), TOL);
        assertEquals(1.0, s.lambda(2), TOL);                          // progress 0
        assertEquals(0.5 + Math.sqrt(2) / 4, s.lambda(4), TOL);       // progress 1/4: (1 + cos(π/4)) / 2 = 0.8535533905932737
        assertEquals(0.8535533905932737, s.lambda(4), TOL);
        assertEquals(0.5, s.lambda(6), TOL);                          // progress 1/2
        assertEquals(0.5 - Math.sqrt(2) / 4, s.lambda(8), TOL);       // progress 3/4
        assertEquals(0.0, s.lambda(10), TOL);
    }

    @Test
    void constantWithWarmupAndConstant() {
        LearningRateSchedule w = new LearningRateSchedule(SchedulerType.CONSTANT_WITH_WARMUP, 2e-5, 4, 100);
        assertEquals(0.0, w.lambda(0), TOL);
        assertEquals(0.25, w.lambda(1), TOL);
        assertEquals(0.75, w.lambda(3), TOL);
        assertEquals(1.0, w.lambda(4), TOL);
        assertEquals(1.0, w.lambda(99), TOL);
        // get_constant_schedule ignores warm-up entirely
        LearningRateSchedule c = new LearningRateSchedule(SchedulerType.CONSTANT, 2e-5, 4, 100);
        assertEquals(2e-5, c.learningRate(0), 0);
        assertEquals(2e-5, c.learningRate(50), 0);
    }

    @Test
    void zeroWarmupStartsAtTheFullRate() {
        LearningRateSchedule s = new LearningRateSchedule(SchedulerType.LINEAR, 1.0, 0, 4);
        assertEquals(1.0, s.lambda(0), TOL);
        assertEquals(0.75, s.lambda(1), TOL);
        assertEquals(0.25, s.lambda(3), TOL);
    }

    @Test
    void warmupStepsWinOverTheRatioWhichRoundsUp() {
        assertEquals(2, LearningRateSchedule.warmupSteps(0, 0.15, 10));   // ceil(1.5)
        assertEquals(3, LearningRateSchedule.warmupSteps(3, 0.5, 10));
        assertEquals(0, LearningRateSchedule.warmupSteps(0, 0.0, 10));
        assertEquals(11, LearningRateSchedule.warmupSteps(0, 0.1, 101));  // ceil(10.1)
    }

    @Test
    void unknownTypeNamesTheSupportedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedulerType.parse("polynomial"));
        assertEquals("unknown lr_scheduler_type \"polynomial\"; supported: constant, constant_with_warmup, linear, cosine",
                e.getMessage());
        assertEquals(SchedulerType.COSINE, SchedulerType.parse("Cosine"));
    }
}
