package dev.embedtune.app.report;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.report.ReportWriter;
import dev.embedtune.train.report.RunReport;
import dev.embedtune.train.report.TrainingHistory;
import dev.embedtune.train.report.TrainingHistory.Point;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A run's PNG charts (JFreeChart), written atomically:
 * <ul>
 *   <li>{@value #NDCG_FILE}: NDCG@10 at each Matryoshka dimension, base (grey) and fine-tuned (blue)
 *       bars side by side, each labelled with its value;</li>
 *   <li>{@value #CURVES_FILE}: the training loss over optimizer steps from {@code metrics.jsonl}, and
 *       below it, sharing the step axis, one evaluation metric over steps when the run evaluated.</li>
 * </ul>
 */
public final class RunCharts {

    public static final String NDCG_FILE = "ndcg_per_dim.png";

    /** {@value #NDCG_FILE} for retrieval, else {@code <metric>_per_dim.png} (e.g. {@code accuracy_per_dim.png}). */
    public static String perDimFile(RunReport report) {
        String m = report.headline();
        return m.equals("cosine_ndcg@10") ? NDCG_FILE : m.replace("cosine_", "").replaceAll("[^A-Za-z0-9]+", "_") + "_per_dim.png";
    }
    public static final String CURVES_FILE = "training_curves.png";
    public static final int WIDTH = 800;
    public static final int HEIGHT = 500;

    private static final Color BASE = new Color(160, 160, 160);
    private static final Color TUNED = new Color(31, 119, 180);
    private static final Color EVAL = new Color(214, 39, 40);

    private RunCharts() {
    }

    /**
     * Both charts of a run, the pipeline's report charts ({@code Pipeline.Charts}): NDCG@10 per
     * dimension, and the training curves with the largest dimension's evaluation NDCG@10.
     */
    public static List<ReportWriter.Chart> draw(RunReport report, TrainingHistory history, Path dir) throws IOException {
        return List.of(new ReportWriter.Chart(ndcgPerDim(report, dir), ReportWriter.title(report.headline())
                        + " per dimension, base vs fine-tuned"),
                new ReportWriter.Chart(trainingCurves(history, "eval_" + RunReport.key(report.dims().get(0), report.headline()), dir),
                        "Training loss and evaluation over steps"));
    }

    /**
     * The report's headline metric at each dim ({@link RunReport#headline}: NDCG@10 for retrieval,
     * accuracy for binary classification and triplets, Spearman for similarity), in {@link #perDimFile}.
     */
    public static Path ndcgPerDim(RunReport report, Path dir) throws IOException {
        String m = report.headline();
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int d : report.dims()) {
            data.addValue(report.base(d, m), "base", Integer.toString(d));
        }
        for (int d : report.dims()) {
            data.addValue(report.fineTuned(d, m), "fine-tuned", Integer.toString(d));
        }
        BarRenderer bars = new BarRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setSeriesPaint(0, BASE);
        bars.setSeriesPaint(1, TUNED);
        bars.setItemMargin(0.05);
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("0.000")));
        bars.setDefaultItemLabelsVisible(true);
        NumberAxis score = new NumberAxis(ReportWriter.title(m) + " (cosine)");
        // Room above the tallest bar for its label; NDCG never exceeds 1.
        double max = 0;
        for (int d : report.dims()) {
            max = Math.max(max, Math.max(report.base(d, m), report.fineTuned(d, m)));
        }
        score.setRange(0, Math.min(1.0, max * 1.12 + 0.02));
        CategoryPlot plot = new CategoryPlot(data, new CategoryAxis("Matryoshka dimension"), score, bars);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(ReportWriter.title(m) + " per dimension: base vs fine-tuned", JFreeChart.DEFAULT_TITLE_FONT,
                plot, true);
        Path file = dir.resolve(perDimFile(report));
        write(chart, file);
        return file;
    }

    /**
     * {@value #CURVES_FILE} in {@code dir} from a run's {@code metrics.jsonl}.
     *
     * @param evalMetric the evaluation key to plot ({@code eval_dim_384_cosine_ndcg@10}; the
     *     {@code eval_} prefix may be left out); used only when the run evaluated
     * @throws IllegalArgumentException when the run evaluated but never logged {@code evalMetric}
     */
    public static Path trainingCurves(TrainingHistory history, String evalMetric, Path dir) throws IOException {
        XYPlot lossPlot = linePlot(history.loss(), "training loss", TUNED);
        Plot plot = lossPlot;
        NumberAxis steps = integerAxis("optimizer step");
        if (!history.eval().isEmpty()) {
            String k = evalMetric.startsWith("eval_") ? evalMetric : "eval_" + evalMetric;
            List<Point> points = history.eval().get(k);
            if (points == null) {
                throw new IllegalArgumentException("metrics.jsonl has evaluations but none of " + k + "; it has " + history.eval().keySet());
            }
            CombinedDomainXYPlot combined = new CombinedDomainXYPlot(steps);
            combined.setGap(12);
            combined.add(lossPlot, 3);
            combined.add(linePlot(points, k.substring(5), EVAL), 2);
            plot = combined;
        } else {
            lossPlot.setDomainAxis(steps);
        }
        JFreeChart chart = new JFreeChart("Training loss" + (history.eval().isEmpty() ? "" : " and evaluation") + " over steps",
                JFreeChart.DEFAULT_TITLE_FONT, plot, !history.eval().isEmpty());
        if (history.loss().isEmpty()) {
            // A run shorter than logging_steps logs no training line; say so rather than show empty axes unexplained.
            chart.addSubtitle(new TextTitle("no training loss was logged (logging_steps longer than the run?)",
                    new Font(Font.SANS_SERIF, Font.ITALIC, 12)));
        }
        Path file = dir.resolve(CURVES_FILE);
        write(chart, file);
        return file;
    }

    private static XYPlot linePlot(List<Point> points, String label, Color color) {
        XYSeries series = new XYSeries(label, true, true);
        points.forEach(p -> series.addOrUpdate(p.step(), p.value()));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, points.size() <= 60);
        r.setSeriesPaint(0, color);
        r.setSeriesStroke(0, new BasicStroke(2f));
        r.setSeriesShape(0, new Ellipse2D.Double(-3, -3, 6, 6));
        NumberAxis values = new NumberAxis(label);
        values.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(new XYSeriesCollection(series), null, values, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    private static NumberAxis integerAxis(String label) {
        NumberAxis axis = new NumberAxis(label);
        axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        axis.setAutoRangeIncludesZero(false);
        return axis;
    }

    private static void write(JFreeChart chart, Path file) throws IOException {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(Color.WHITE);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(png, chart, WIDTH, HEIGHT);
        AtomicFiles.write(file, png.toByteArray());
    }
}
