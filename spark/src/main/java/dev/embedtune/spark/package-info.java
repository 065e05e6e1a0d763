/**
 * embedtune on Apache Spark: corpus embedding, hard-negative mining and retrieval evaluation over a
 * corpus partitioned across executors, and data-parallel QLoRA with exact in-batch negatives
 * (distributed GradCache); the local pipeline ({@code run}, {@code finetune}) with those on the executors
 * ({@link dev.embedtune.spark.SparkBackend}). {@link dev.embedtune.spark.SparkMain} is the spark-submit
 * entry point.
 */
package dev.embedtune.spark;
