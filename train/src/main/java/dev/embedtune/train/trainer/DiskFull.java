package dev.embedtune.train.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A full disk, said as a user can act on it. The JDK reports ENOSPC as a bare
 * {@code IOException: No space left on device}, without the file or the size; this names the path
 * being written, about how many bytes the write needs, how many the filesystem has free, and what
 * is still intact.
 */
public final class DiskFull {

    /** The text of ENOSPC (strerror) in the JDK's exceptions. */
    private static final String NO_SPACE = "no space left on device";

    private DiskFull() {
    }

    /** Whether {@code e} (or a cause) is a full disk. */
    public static boolean is(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.toLowerCase(Locale.ROOT).contains(NO_SPACE)) {
                return true;
            }
        }
        return false;
    }

    /** The error of a checkpoint that did not fit. */
    static IOException checkpoint(IOException e, Path writing, int step, long bytesNeeded, List<Path> intact) {
        return new IOException(String.format(Locale.ROOT, "%s: no space left on device while writing %s: a checkpoint needs about"
                        + " %s (%,d bytes), the filesystem has %s free. The partial checkpoint was removed; %s. Free some space"
                        + " (or set save_total_limit), then continue with --resume", writing, Checkpoints.name(step),
                human(bytesNeeded), bytesNeeded, free(writing), intact.isEmpty() ? "no earlier checkpoint exists"
                        : "the earlier checkpoints are intact (newest: " + intact.get(intact.size() - 1).getFileName() + ")"), e);
    }

    /**
     * The error of another write that did not fit (the final adapters, the merged model).
     *
     * @param what what was being written, e.g. "the merged model"
     * @param bytesNeeded about what it takes
     * @param next what is intact and how to go on
     */
    public static IOException writing(IOException e, Path path, String what, long bytesNeeded, String next) {
        return new IOException(String.format(Locale.ROOT, "%s: no space left on device while writing %s: it needs about %s"
                + " (%,d bytes), the filesystem has %s free. %s", path, what, human(bytesNeeded), bytesNeeded, free(path), next), e);
    }

    /** The usable bytes of the filesystem holding {@code path} (or its nearest existing parent), as text. */
    private static String free(Path path) {
        for (Path p = path.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                try {
                    long free = Files.getFileStore(p).getUsableSpace();
                    return human(free) + " (" + String.format(Locale.ROOT, "%,d", free) + " bytes)";
                } catch (IOException e) {
                    return "an unknown amount";
                }
            }
        }
        return "an unknown amount";
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
