package dev.embedtune.model.st;

/** sentence-transformers' {@code sentence_bert_config.json}: the Transformer module's settings. */
public record SentenceBertConfig(int maxSeqLength, boolean doLowerCase) {
}
