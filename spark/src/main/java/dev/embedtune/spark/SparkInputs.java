package dev.embedtune.spark;

import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Reads a table by its file extension, failing on malformed records rather than skipping them. */
final class SparkInputs {

    private SparkInputs() {
    }

    static Dataset<Row> read(SparkSession spark, String path) {
        String p = path.toLowerCase(Locale.ROOT);
        if (p.endsWith(".jsonl") || p.endsWith(".json")) {
            return spark.read().option("mode", "FAILFAST").json(path);
        }
        if (p.endsWith(".csv")) {
            return spark.read().option("mode", "FAILFAST").option("header", "true").csv(path);
        }
        if (p.endsWith(".parquet") || !p.contains(".")) {
            return spark.read().parquet(path);
        }
        throw new IllegalArgumentException(path + ": expected .jsonl, .json, .csv, .parquet or a Parquet directory");
    }
}
