package dev.embedtune.train;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The one channel for warnings: what a user wants to know that does not stop a run, each one line
 * naming the file, line or key. A duplicate id, a split value that matches nothing asked for, an empty
 * text, a batch of one pair, a max length above the model's positions, a duplicate key in a settings
 * file, a deprecated key, a damaged checkpoint skipped on resume.
 *
 * <p>By default a warning is a line {@code warning: …} on stderr; the command line routes them to its
 * error stream, a test to a list ({@link #routeTo}). Within one route a message is shown once, since
 * some sources are read more than once per run (a data file per split).
 */
public final class Warnings {

    /** Where warnings go until {@link #close}, then back to where they went before. */
    public static final class Route implements AutoCloseable {
        private final Consumer<String> target;
        private final Route previous;
        private final Set<String> shown = ConcurrentHashMap.newKeySet();

        private Route(Consumer<String> target, Route previous) {
            this.target = target;
            this.previous = previous;
        }

        @Override
        public void close() {
            synchronized (Warnings.class) {
                if (current == this) {
                    current = previous;
                }
            }
        }
    }

    private static volatile Route current = new Route(m -> {
        System.err.println("warning: " + m);
        System.err.flush();
    }, null);

    private Warnings() {
    }

    /** Gives one warning (once per route for the same text). */
    public static void warn(String message) {
        Route r = current;
        if (r.shown.add(message)) {
            r.target.accept(message);
        }
    }

    /** Sends the warnings given from now on to {@code target} until the route is closed. */
    public static Route routeTo(Consumer<String> target) {
        synchronized (Warnings.class) {
            current = new Route(target, current);
            return current;
        }
    }
}
