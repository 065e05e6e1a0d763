/**
 * Hyperparameter search: random search with asynchronous successive halving (ASHA, Li et al. 2018,
 * arXiv:1810.05934) over a typed {@link dev.embedtune.app.hpo.SearchSpace}, kept in a study
 * directory that survives interruption and can be shared by several processes.
 *
 * <p>Flow: a space file ({@link dev.embedtune.app.hpo.StudySpec#read}) →
 * {@link dev.embedtune.app.hpo.Study#create} → {@link dev.embedtune.app.hpo.Study#optimize}
 * with an {@link dev.embedtune.app.hpo.Objective}, which trains with a trial's
 * {@link dev.embedtune.app.hpo.TrialSettings} for at most {@link dev.embedtune.app.hpo.Budget#max}
 * steps or epochs and reports evaluations ({@link dev.embedtune.train.eval.EvaluationResult}) at the
 * rungs through a {@link dev.embedtune.app.hpo.Reporter}, which answers CONTINUE or PRUNE by the
 * {@link dev.embedtune.app.hpo.SuccessiveHalving} rule → one
 * {@link dev.embedtune.app.hpo.TrialRecord} per finished trial → {@link dev.embedtune.app.hpo.StudyReport}.
 *
 * <p>The objective that trains an embedding model (LoRA settings, loss, Matryoshka dimensions, base
 * model from the settings; evaluation on a validation split) belongs to the trainer; this package
 * only drives it.
 */
package dev.embedtune.app.hpo;
