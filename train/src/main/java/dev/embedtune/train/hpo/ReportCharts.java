package dev.embedtune.train.hpo;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.train.hpo.Dimension.Choice;
import dev.embedtune.train.hpo.ParamValue.FloatValue;
import dev.embedtune.train.hpo.ParamValue.IntValue;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's PNG charts (JFreeChart), in the spirit of Optuna's {@code plot_slice} and
 * {@code plot_optimization_history}. Only COMPLETE trials are plotted: a pruned trial's score was
 * measured on a smaller budget and would not be comparable.
 */
final class ReportCharts {

    static final int WIDTH = 800;
    static final int HEIGHT = 500;

    private static final Color POINTS = new Color(31, 119, 180);
    private static final Color BEST = new Color(214, 39, 40);

    private ReportCharts() {
    }

    /** Score per trial id, and the best score so far as a step line. */
    static void history(List<TrialRecord> complete, boolean greaterIsBetter, String metric, Path file) throws IOException {
        XYSeries scores = new XYSeries("score", true, true);
        XYSeries bestSoFar = new XYSeries("best so far", false, true);
        double best = Double.NaN;
        for (TrialRecord r : complete) { // ascending id
            scores.add(r.id(), r.score());
            if (Double.isNaN(best) || (greaterIsBetter ? r.score() > best : r.score() < best)) {
                best = r.score();
            }
            bestSoFar.add(r.id(), best);
        }
        XYPlot plot = new XYPlot();
        plot.setDomainAxis(integerAxis("trial"));
        plot.setRangeAxis(scoreAxis(metric));
        plot.setDataset(0, new XYSeriesCollection(scores));
        plot.setRenderer(0, points(POINTS));
        XYStepRenderer step = new XYStepRenderer();
        step.setSeriesPaint(0, BEST);
        step.setSeriesStroke(0, new BasicStroke(2f));
        plot.setDataset(1, new XYSeriesCollection(bestSoFar));
        plot.setRenderer(1, step);
        write(new JFreeChart("Optimisation history (" + complete.size() + " complete trials)", JFreeChart.DEFAULT_TITLE_FONT, plot, true), file);
    }

    /**
     * Score against one hyperparameter: a numeric axis (logarithmic for log-uniform dimensions and
     * power-of-two choices), or the choices by name for strings and integer lists. The best trial is red.
     */
    static void slice(Dimension dim, List<TrialRecord> complete, TrialRecord best, String metric, Path file) throws IOException {
        XYSeries points = new XYSeries("trial", false, true);
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
            log.setSmallestValue(1e-12);
            if (dim.kind() == Dimension.Kind.INT) {
                log.setBase(2);
                log.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            }
            axis = log;
        } else {
            axis = dim.kind() == Dimension.Kind.INT ? integerAxis(dim.name()) : new NumberAxis(dim.name());
            ((NumberAxis) axis).setAutoRangeIncludesZero(false);
        }
        for (TrialRecord r : complete) {
            ParamValue v = r.settings().get(dim.name());
            double x = categorical ? choices.indexOf(v) : numeric(v);
            (best != null && r.id() == best.id() ? top : points).add(x, r.score());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(points);
        data.addSeries(top);
        XYLineAndShapeRenderer renderer = points(POINTS);
        renderer.setSeriesPaint(1, BEST);
        renderer.setSeriesShape(1, new Ellipse2D.Double(-5, -5, 10, 10));
        XYPlot plot = new XYPlot(data, axis, scoreAxis(metric), renderer);
        write(new JFreeChart(metric + " vs " + dim.name(), JFreeChart.DEFAULT_TITLE_FONT, plot, true), file);
    }

    private static double numeric(ParamValue v) {
        if (v instanceof FloatValue f) {
            return f.value();
        }
        return ((IntValue) v).value();
    }

    private static XYLineAndShapeRenderer points(Color color) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        r.setSeriesPaint(0, color);
        r.setSeriesShape(0, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
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
