package dev.embedtune.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The one Spark session of the test JVM: local[2] with up to 2 attempts per task (so a task made to
 * fail once is retried, as on a cluster), no UI, few shuffle partitions. Created on first use and kept
 * for every test class (starting Spark costs seconds).
 */
final class SparkTestSession {
    static final String MASTER = "local[2,2]";

    private SparkTestSession() {
    }

    static synchronized SparkSession get() {
        return SparkSession.builder().master(MASTER).appName("embedtune-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }

    static JavaSparkContext context() {
        return JavaSparkContext.fromSparkContext(get().sparkContext());
    }
}
