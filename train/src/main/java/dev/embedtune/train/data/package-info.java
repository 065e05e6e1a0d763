/**
 * Training and evaluation data: {@link dev.embedtune.train.data.Example}s read from JSONL, CSV or
 * TSV through a {@link dev.embedtune.train.data.ColumnMapping}, the group-aware
 * {@link dev.embedtune.train.data.GroupSplit}, batch samplers and the optional
 * {@link dev.embedtune.train.data.QualityFilter}.
 */
package dev.embedtune.train.data;
