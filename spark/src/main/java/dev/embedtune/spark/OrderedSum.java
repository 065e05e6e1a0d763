package dev.embedtune.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Sums the partitions' gradients in a fixed order, so the result does not depend on which task finished
 * first (Spark's {@code treeAggregate} and {@code reduce} combine results in completion order, and float
 * addition is not associative). Up to {@code fanIn} partitions: the driver collects them (a collect is
 * in partition order) and adds them left to right. More: one tree level on the executors, each group of
 * {@code fanIn} consecutive partitions summed in partition order, then the group sums on the driver in
 * group order. The same partitions give the same bits however the tasks are scheduled or retried.
 */
final class OrderedSum {

    private OrderedSum() {
    }

    /** @param gradients one element per partition: (partition index, its gradient arrays) */
    static float[][] sum(JavaPairRDD<Integer, float[][]> gradients, int partitions, int fanIn) {
        List<Tuple2<Integer, float[][]>> parts;
        if (partitions <= fanIn) {
            parts = new ArrayList<>(gradients.collect());
        } else {
            int groups = (partitions + fanIn - 1) / fanIn;
            parts = new ArrayList<>(gradients
                    .mapToPair(t -> new Tuple2<>(t._1() / fanIn, t))
                    .groupByKey(groups)
                    .mapValues(members -> {
                        List<Tuple2<Integer, float[][]>> sorted = new ArrayList<>();
                        members.forEach(sorted::add);
                        sorted.sort((a, b) -> Integer.compare(a._1(), b._1()));
                        float[][] acc = null;
                        for (Tuple2<Integer, float[][]> m : sorted) {
                            acc = add(acc, m._2());
                        }
                        return acc;
                    })
                    .collect());
        }
        parts.sort((a, b) -> Integer.compare(a._1(), b._1()));
        float[][] acc = null;
        for (Tuple2<Integer, float[][]> p : parts) {
            acc = add(acc, p._2());
        }
        return acc;
    }

    /** {@code acc + g} element-wise, left to right; null {@code acc} is zero. */
    static float[][] add(float[][] acc, float[][] g) {
        if (acc == null) {
            float[][] copy = new float[g.length][];
            for (int i = 0; i < g.length; i++) {
                copy[i] = g[i].clone();
            }
            return copy;
        }
        for (int i = 0; i < g.length; i++) {
            for (int j = 0; j < g[i].length; j++) {
                acc[i][j] += g[i][j];
            }
        }
        return acc;
    }

    static JavaPairRDD<Integer, float[][]> keyed(JavaRDD<Tuple2<Integer, float[][]>> rdd) {
        return rdd.mapToPair(t -> t);
    }
}
