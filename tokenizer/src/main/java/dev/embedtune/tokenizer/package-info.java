/**
 * Hugging Face tokenizers in pure Java: {@link dev.embedtune.tokenizer.Tokenizer} loads a
 * {@code tokenizer.json} (or BERT's {@code vocab.txt}) and runs the same pipeline as the Rust
 * {@code tokenizers} library, with identical ids, type ids, attention masks and offsets (checked
 * against it through DJL in the tests).
 *
 * <pre>
 * text ─ AddedVocabulary (special tokens, matched first)
 *      ─ Normalizer      BertNormalizer | NFC | NFD | NFKC | NFKD | Lowercase | StripAccents | Sequence
 *      ─ PreTokenizer    BertPreTokenizer | ByteLevel | Split | Whitespace | WhitespaceSplit | Punctuation | Digits | Sequence
 *      ─ TokenModel      WordPiece | BPE
 *      ─ truncation, PostProcessor (TemplateProcessing | BertProcessing | RobertaProcessing | ByteLevel | Sequence), padding
 * ids ─ Decoder          WordPiece | ByteLevel
 * </pre>
 *
 * <p>Each stage is a sealed interface; the JSON {@code "type"} picks the implementation in one
 * {@code switch} per stage, and an unknown type is an error naming its JSON path and the
 * supported types. Text flows as {@code Piece}s: normalized chars, each with the range of the
 * original text it came from, so offsets survive every stage. Offsets are UTF-16 indices into the
 * original Java string (Hugging Face's Python binding reports code points).
 *
 * <p>Not supported (an error, never a silent difference): Unigram and WordLevel models, Metaspace,
 * Replace, Prepend and Strip components, BPE dropout and byte_fallback, a
 * pre-tokenizer after ByteLevel in a Sequence, and stride/overflowing tokens in truncation.
 */
package dev.embedtune.tokenizer;
