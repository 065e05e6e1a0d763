/**
 * Hyperparameter search: random search with asynchronous successive halving (ASHA, Li et al. 2018,
 * arXiv:1810.05934) over a typed {@link dev.embedtune.train.hpo.SearchSpace}, kept in a study
 * directory that survives interruption and can be shared by several processes.
 *
 * <p>Flow: a space file ({@link dev.embedtune.train.hpo.StudySpec#read}) →
 * {@link dev.embedtune.train.hpo.Study#create} → {@link dev.embedtune.train.hpo.Study#optimize}
 * with an {@link dev.embedtune.train.hpo.Objective}, which trains with a trial's
 * {@link dev.embedtune.train.hpo.TrialSettings} for at most {@link dev.embedtune.train.hpo.Budget#max}
 * steps or epochs and reports evaluations ({@link dev.embedtune.train.eval.EvaluationResult}) at the
 * rungs through a {@link dev.embedtune.train.hpo.Reporter}, which answers CONTINUE or PRUNE by the
 * {@link dev.embedtune.train.hpo.SuccessiveHalving} rule → one
 * {@link dev.embedtune.train.hpo.TrialRecord} per finished trial → {@link dev.embedtune.train.hpo.StudyReport}.
 *
 * <p>The objective that trains an embedding model (LoRA settings, loss, Matryoshka dimensions, base
 * model from the settings; evaluation on a validation split) belongs to the trainer; this package
 * only drives it.
 */
package dev.embedtune.train.hpo;
