package dev.embedtune.app.hpo;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.app.hpo.Dimension.Choice;
import dev.embedtune.app.hpo.ParamValue.FloatValue;
import dev.embedtune.app.hpo.ParamValue.IntValue;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.ByteArrayOutputStream;
import java.text.DecimalFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's PNG charts (JFreeChart), in the spirit of Optuna's {@code plot_slice} and
 * {@code plot_optimization_history}: COMPLETE trials in blue, the best one (or the best-so-far line)
 * in red. PRUNED trials are drawn as light grey rings at their last reported score — measured on a
 * smaller budget, so not comparable with the blue points, but they show where the space is poor
 * (with successive halving most trials are pruned, and leaving them out would leave few points).
 */
final class ReportCharts {

    static final int WIDTH = 800;
    static final int HEIGHT = 500;

    private static final Color POINTS = new Color(31, 119, 180);
    private static final Color BEST = new Color(214, 39, 40);
    private static final Color PRUNED = new Color(190, 190, 190);

    private ReportCharts() {
    }

    /** Score per trial id, and the best score so far (of complete trials) as a step line. */
    static void history(List<TrialRecord> complete, List<TrialRecord> pruned, boolean greaterIsBetter, String metric, Path file)
            throws IOException {
        XYSeries scores = new XYSeries("complete", true, true);
        XYSeries stopped = new XYSeries("pruned (last report)", true, true);
        pruned.forEach(r -> stopped.add(r.id(), r.score()));
        XYSeries bestSoFar = new XYSeries("best so far", false, true);
        double best = Double.NaN;
        for (TrialRecord r : complete) { // ascending id
            scores.add(r.id(), r.score());
            if (Double.isNaN(best) || (greaterIsBetter ? r.score() > best : r.score() < best)) {
                best = r.score();
            }
            bestSoFar.add(r.id(), best);
        }
        // Carry the line on to the last trial, so a flat tail shows the search has stalled.
        int lastId = pruned.stream().mapToInt(TrialRecord::id).max().orElse(-1);
        if (!complete.isEmpty() && lastId > complete.get(complete.size() - 1).id()) {
            bestSoFar.add(lastId, best);
        }
        XYPlot plot = new XYPlot();
        plot.setDomainAxis(integerAxis("trial"));
        plot.setRangeAxis(scoreAxis(metric));
        XYSeriesCollection points = new XYSeriesCollection();
        points.addSeries(scores);
        points.addSeries(stopped);
        plot.setDataset(0, points);
        plot.setRenderer(0, points(POINTS));
        XYStepRenderer step = new XYStepRenderer();
        step.setSeriesPaint(0, BEST);
        step.setSeriesStroke(0, new BasicStroke(2f));
        plot.setDataset(1, new XYSeriesCollection(bestSoFar));
        plot.setRenderer(1, step);
        write(new JFreeChart("Optimisation history (" + complete.size() + " complete, " + pruned.size() + " pruned)", JFreeChart.DEFAULT_TITLE_FONT, plot, true), file);
    }

    /**
     * Score against one hyperparameter: a numeric axis (logarithmic for log-uniform dimensions and
     * power-of-two choices), or the choices by name for strings and integer lists. The best trial is red.
     */
    static void slice(Dimension dim, List<TrialRecord> complete, List<TrialRecord> pruned, TrialRecord best, String metric, Path file)
            throws IOException {
        XYSeries points = new XYSeries("complete", false, true);
        XYSeries stopped = new XYSeries("pruned (last report)", false, true);
        XYSeries top = new XYSeries("best (trial " + (best == null ? "-" : best.id()) + ")", false, true);
        ValueAxis axis;
        boolean categorical = dim.kind() == Dimension.Kind.STRING || dim.kind() == Dimension.Kind.INT_LIST;
        List<ParamValue> choices = categorical ? ((Choice) dim).values() : List.of();
        if (categorical) {
            String[] labels = choices.stream().map(ParamValue::display).toArray(String[]::new);
            SymbolAxis symbols = new SymbolAxis(dim.name(), labels);
            symbols.setGridBandsVisible(false);
            axis = symbols;
        } else if (dim.logScale()) {
            LogAxis log = new LogAxis(dim.name());
            log.setSmallestValue(1e-300);
            if (dim.kind() == Dimension.Kind.INT) {
                log.setBase(2);
                log.setNumberFormatOverride(new DecimalFormat("0"));
            } else {
                log.setNumberFormatOverride(new DecimalFormat("0.#E0"));
            }
            // One tick per power of the base (per decade, or per doubling of a rank).
            log.setAutoTickUnitSelection(false);
            log.setTickUnit(new NumberTickUnit(1));
            axis = log;
        } else {
            axis = dim.kind() == Dimension.Kind.INT ? integerAxis(dim.name()) : new NumberAxis(dim.name());
            ((NumberAxis) axis).setAutoRangeIncludesZero(false);
        }
        // The whole searched range, not just where the trials fell.
        double[] range = range(dim);
        if (range != null) {
            axis.setRange(range[0], range[1]);
        }
        for (TrialRecord r : pruned) {
            ParamValue v = r.settings().get(dim.name());
            stopped.add(categorical ? choices.indexOf(v) : numeric(v), r.score());
        }
        for (TrialRecord r : complete) {
            ParamValue v = r.settings().get(dim.name());
            double x = categorical ? choices.indexOf(v) : numeric(v);
            (best != null && r.id() == best.id() ? top : points).add(x, r.score());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(points);
        data.addSeries(stopped);
        data.addSeries(top);
        XYLineAndShapeRenderer renderer = points(POINTS);
        renderer.setSeriesPaint(2, BEST);
        renderer.setSeriesShape(2, new Ellipse2D.Double(-5, -5, 10, 10));
        XYPlot plot = new XYPlot(data, axis, scoreAxis(metric), renderer);
        write(new JFreeChart(metric + " vs " + dim.name(), JFreeChart.DEFAULT_TITLE_FONT, plot, true), file);
    }

    /** The axis range that shows a dimension's whole search range with a margin; null to let the axis choose. */
    private static double[] range(Dimension dim) {
        if (dim instanceof Dimension.LogUniform d) {
            return new double[] {d.low() / 1.5, d.high() * 1.5};
        }
        if (dim instanceof Dimension.Uniform d) {
            double pad = (d.high() - d.low()) * 0.05;
            return new double[] {d.low() - pad, d.high() + pad};
        }
        if (dim instanceof Choice c && (c.kind() == Dimension.Kind.INT || c.kind() == Dimension.Kind.FLOAT) && c.values().size() > 1) {
            double lo = c.values().stream().mapToDouble(ReportCharts::numeric).min().orElseThrow();
            double hi = c.values().stream().mapToDouble(ReportCharts::numeric).max().orElseThrow();
            return dim.logScale() ? new double[] {lo / 1.4, hi * 1.4} : new double[] {lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05};
        }
        if (dim instanceof Choice c && (c.kind() == Dimension.Kind.STRING || c.kind() == Dimension.Kind.INT_LIST)) {
            return new double[] {-0.5, c.values().size() - 0.5};
        }
        return null;
    }

    private static double numeric(ParamValue v) {
        if (v instanceof FloatValue f) {
            return f.value();
        }
        return ((IntValue) v).value();
    }

    /** Series 0 filled dots in {@code color}, series 1 (pruned) light grey rings. */
    private static XYLineAndShapeRenderer points(Color color) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        r.setSeriesPaint(0, color);
        r.setSeriesShape(0, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
        r.setSeriesPaint(1, PRUNED);
        r.setSeriesShape(1, new Ellipse2D.Double(-3, -3, 6, 6));
        r.setSeriesShapesFilled(1, false);
        return r;
    }

    private static NumberAxis integerAxis(String label) {
        NumberAxis axis = new NumberAxis(label);
        axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        axis.setAutoRangeIncludesZero(false);
        return axis;
    }

    private static NumberAxis scoreAxis(String metric) {
        NumberAxis axis = new NumberAxis(metric);
        axis.setAutoRangeIncludesZero(false);
        return axis;
    }

    private static void write(JFreeChart chart, Path file) throws IOException {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getXYPlot().setBackgroundPaint(Color.WHITE);
        chart.getXYPlot().setDomainGridlinePaint(Color.LIGHT_GRAY);
        chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(png, chart, WIDTH, HEIGHT);
        AtomicFiles.write(file, png.toByteArray());
    }
}
