package dev.embedtune.model.card;

import java.util.List;

/**
 * One evaluation as a card shows it (sentence-transformers' "Metrics" tables): a row per metric and
 * a column per variant evaluated, e.g. {@code dim_384}, {@code dim_256}, or {@code base} and
 * {@code fine-tuned}.
 *
 * @param title         what was evaluated, e.g. "Information Retrieval"
 * @param dataset       on what, e.g. "jargon.jsonl (test)", or null
 * @param columns       the column headers after "Metric"
 * @param rows          one per metric, each with a value per column (NaN where there is none)
 * @param primaryMetric the metric shown in bold, or null
 */
public record EvaluationTable(String title, String dataset, List<String> columns, List<Row> rows, String primaryMetric) {

    /** A metric's values, one per column. */
    public record Row(String metric, List<Double> values) {
        public Row {
            values = List.copyOf(values);
        }
    }

    public EvaluationTable {
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
        for (Row r : rows) {
            if (r.values().size() != columns.size()) {
                throw new IllegalArgumentException("evaluation table '" + title + "': row " + r.metric() + " has "
                        + r.values().size() + " values for " + columns.size() + " columns " + columns);
            }
        }
    }
}
