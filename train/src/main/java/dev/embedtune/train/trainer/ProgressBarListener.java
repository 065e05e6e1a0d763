package dev.embedtune.train.trainer;

import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * A progress bar on stderr over the optimizer steps, with the last loss, learning rate and steps per
 * second as its message — the JVM's tqdm. The trainer adds one unless {@code disable_tqdm} is set, and
 * closes it when training ends or fails.
 */
final class ProgressBarListener implements TrainerListener, AutoCloseable {

    private ProgressBar bar;
    private long startNanos;
    private int startStep;

    @Override
    public void onTrainBegin(int startStep, int maxSteps) {
        this.startStep = startStep;
        this.startNanos = System.nanoTime();
        bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(maxSteps)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        bar.stepTo(startStep);
    }

    @Override
    public void onStepEnd(StepOutcome s) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double rate = seconds > 0 ? (s.step() - startStep) / seconds : 0;
        bar.stepTo(s.step());
        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f lr %.2e %.2f steps/s", s.loss(), s.learningRate(), rate));
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
