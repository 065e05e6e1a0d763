package dev.embedtune.bench.gemm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Native BLAS libraries that ND4J does not use, taken from JavaCPP preset jars on Maven Central and
 * loaded beside the JVM's own: the jars are copied into {@code bench/target/gemm-libraries} by
 * {@code bin/bench-gemm} ({@code mvn -Pgemm-libraries}), never put on the classpath (they would replace
 * ND4J's pinned OpenBLAS 0.3.19 / JavaCPP 1.5.7). Their {@code .so} files are unpacked into a temporary
 * directory and opened by absolute path (JNA), dependencies first.
 */
final class NativeLibraries {
    private NativeLibraries() {
    }

    /** Where the preset jars are: -Dembedtune.gemmLibraries, else bench/target/gemm-libraries, else target/gemm-libraries. */
    static Path directory() {
        String prop = System.getProperty("embedtune.gemmLibraries");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        Path checkout = Path.of("bench", "target", "gemm-libraries");
        return Files.isDirectory(checkout) ? checkout : Path.of("target", "gemm-libraries");
    }

    /** Unpacks every shared library of the jar whose name starts with {@code jarPrefix}; returns the directory. */
    static Path unpack(String jarPrefix) throws IOException {
        Path jar;
        try (var files = Files.list(directory())) {
            jar = files.filter(f -> f.getFileName().toString().startsWith(jarPrefix) && f.toString().endsWith(".jar"))
                    .findFirst().orElseThrow(() -> new IOException("no " + jarPrefix + "*.jar in " + directory().toAbsolutePath()
                            + "; run bin/bench-gemm (it fetches them with mvn -Pgemm-libraries)"));
        }
        Path out = Files.createTempDirectory("gemm-" + jarPrefix);
        out.toFile().deleteOnExit();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                if (!e.isDirectory() && name.contains(".so") && !name.startsWith("libjni")) {
                    try (InputStream in = zip.getInputStream(e)) {
                        Path target = out.resolve(name);
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        target.toFile().deleteOnExit();
                    }
                }
            }
        }
        return out;
    }

    /** The unpacked libraries whose names start with any of {@code prefixes}, in that order. */
    static List<Path> select(Path dir, String... prefixes) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String p : prefixes) {
            try (var files = Files.list(dir)) {
                files.filter(f -> f.getFileName().toString().startsWith(p)).sorted().forEach(out::add);
            }
        }
        return out;
    }
}
