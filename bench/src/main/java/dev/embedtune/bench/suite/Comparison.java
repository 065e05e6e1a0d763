package dev.embedtune.bench.suite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Merges result files from several machines (or settings) into one table: a row per benchmark,
 * a column per file, each cell the throughput and its ratio to the first file's. Measured peers
 * ({@link PeerResult}) are rows too, keyed "peer ID {params}"; skipped ones are left out.
 */
public final class Comparison {

    private final List<String> columns = new ArrayList<>();
    private final Map<String, Map<String, Double>> rows = new LinkedHashMap<>(); // key → column → items/s

    private Comparison() {
    }

    public static Comparison of(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("bench-compare needs at least one result file");
        }
        Comparison c = new Comparison();
        Set<String> used = new LinkedHashSet<>();
        for (Path file : files) {
            ResultFile result = ResultFile.read(file);
            String column = columnName(result.machine(), file);
            while (!used.add(column)) {
                column = column + "'";
            }
            c.columns.add(column);
            for (BenchmarkResult b : result.benchmarks()) {
                c.rows.computeIfAbsent(b.key(), k -> new LinkedHashMap<>()).put(column, b.itemsPerSecond());
            }
            for (PeerResult p : result.peers()) {
                if (p.status() == PeerResult.Status.MEASURED) {
                    c.rows.computeIfAbsent(p.key(), k -> new LinkedHashMap<>()).put(column, p.itemsPerSecond());
                }
            }
        }
        return c;
    }

    /** "label, N threads (file)": enough to tell apart runs of one machine with other settings. */
    private static String columnName(Map<String, Object> machine, Path file) {
        return machine.getOrDefault("label", "?") + ", " + machine.getOrDefault("ompThreads", "?")
                + " threads (" + file.getFileName() + ")";
    }

    public List<String> columns() {
        return List.copyOf(columns);
    }

    /** Items per second of a benchmark in a column, NaN when that file lacks it. */
    public double itemsPerSecond(String row, String column) {
        return rows.getOrDefault(row, Map.of()).getOrDefault(column, Double.NaN);
    }

    /** The ratio of a column's throughput to the first column's (higher is faster). */
    public double ratio(String row, String column) {
        return itemsPerSecond(row, column) / itemsPerSecond(row, columns.get(0));
    }

    public Set<String> rowKeys() {
        return rows.keySet();
    }

    /** The Markdown table: throughput in items/s and, after the first column, the ratio to it. */
    public String markdown() {
        StringBuilder md = new StringBuilder("| benchmark (items/s) |");
        columns.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append("\n|---|");
        columns.forEach(c -> md.append("---:|"));
        md.append('\n');
        for (String row : rows.keySet()) {
            md.append("| ").append(row).append(" |");
            for (int i = 0; i < columns.size(); i++) {
                double v = itemsPerSecond(row, columns.get(i));
                md.append(' ');
                if (Double.isNaN(v)) {
                    md.append('–');
                } else {
                    md.append(format(v));
                    if (i > 0) {
                        md.append(String.format(" (×%.2f)", ratio(row, columns.get(i))));
                    }
                }
                md.append(" |");
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** A bar chart of each benchmark's throughput relative to the first column, as PNG. */
    public void writeChart(Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (String row : rows.keySet()) {
            for (String column : columns) {
                double r = ratio(row, column);
                if (Double.isFinite(r)) {
                    data.addValue(r, column, row);
                }
            }
        }
        JFreeChart chart = ChartFactory.createBarChart("Throughput relative to " + columns.get(0),
                "benchmark", "× first column (higher is faster)", data, PlotOrientation.HORIZONTAL,
                true, false, false);
        Path parent = png.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, png.getFileName().toString(), ".tmp");
        try {
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 1200, 200 + 40 * Math.max(1, rows.size()));
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String format(double v) {
        if (v >= 100) {
            return String.format("%,.0f", v);
        }
        return v >= 1 ? String.format("%.2f", v) : String.format("%.4f", v);
    }
}
