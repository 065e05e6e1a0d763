package dev.embedtune.app.hpo;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process running a trial, as its running marker names it, and the test of whether it is
 * still alive (see {@link #isGone}).
 *
 * @param host         host name ({@code HOSTNAME}, else {@code COMPUTERNAME}, else "localhost")
 * @param pid          operating-system process id
 * @param processStart when that process started (epoch milliseconds; 0 when unknown), which tells a
 *                     reused pid apart
 */
public record Worker(String host, long pid, long processStart) {

    /** Tokens of the trials this JVM is running right now; a marker naming this JVM but no live token is left over. */
    private static final Set<String> ACTIVE = ConcurrentHashMap.newKeySet();

    private static final Worker CURRENT = detect();

    public static Worker current() {
        return CURRENT;
    }

    /** {@code pid@host}. */
    public String label() {
        return pid + "@" + host;
    }

    static void activate(String token) {
        ACTIVE.add(token);
    }

    static void deactivate(String token) {
        ACTIVE.remove(token);
    }

    /**
     * Whether the trial a marker stands for is certainly no longer running: on this host, its process
     * is gone (or, for this JVM, the trial is no longer among those it runs); on any host, its heartbeat
     * is older than {@code staleAfter}. The heartbeat is the only test across hosts (a shared file
     * system), so clocks must agree to well within {@code staleAfter}.
     */
    static boolean isGone(Worker owner, String token, Instant heartbeat, Instant now, Duration staleAfter) {
        if (Duration.between(heartbeat, now).compareTo(staleAfter) > 0) {
            return true;
        }
        if (!owner.host().equals(CURRENT.host())) {
            return false;
        }
        if (owner.pid() == CURRENT.pid() && owner.processStart() == CURRENT.processStart()) {
            return !ACTIVE.contains(token);
        }
        Optional<ProcessHandle> process = ProcessHandle.of(owner.pid());
        if (process.isEmpty() || !process.get().isAlive()) {
            return true;
        }
        long start = process.get().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        // A different start time means the pid was reused by another process.
        return owner.processStart() != 0 && start != 0 && Math.abs(start - owner.processStart()) > 1000;
    }

    private static Worker detect() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            host = System.getenv("COMPUTERNAME");
        }
        if (host == null || host.isBlank()) {
            host = "localhost";
        }
        ProcessHandle self = ProcessHandle.current();
        long start = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        return new Worker(host, self.pid(), start);
    }
}
