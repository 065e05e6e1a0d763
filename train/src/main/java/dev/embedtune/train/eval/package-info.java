/**
 * Evaluators with sentence-transformers' metric definitions and key names: information retrieval
 * ({@link dev.embedtune.train.eval.InformationRetrievalEvaluator}), triplets, binary classification,
 * embedding similarity, sequences of evaluators and evaluation per Matryoshka dimension. Evaluators
 * depend only on {@link dev.embedtune.model.TextEncoder}; each returns a typed
 * {@link dev.embedtune.train.eval.EvaluationResult} naming its primary metric.
 *
 * <p>Shape key: Q queries, N corpus texts, D embedding dimension, n pairs/triplets.
 */
package dev.embedtune.train.eval;
