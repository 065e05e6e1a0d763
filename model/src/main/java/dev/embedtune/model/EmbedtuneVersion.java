package dev.embedtune.model;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** embedtune's own version, as the build recorded it; saved files name it as their writer. */
public final class EmbedtuneVersion {
    private static final String RESOURCE = "/dev/embedtune/model/embedtune-version.properties";
    private static final String VERSION = read();

    private EmbedtuneVersion() {
    }

    /** e.g. {@code 0.1.0-SNAPSHOT}; "unknown" when the classes were built without Maven's resource filtering. */
    public static String get() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = EmbedtuneVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
