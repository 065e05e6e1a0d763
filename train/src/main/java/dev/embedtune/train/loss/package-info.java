/**
 * Training losses in their "from embeddings" form: each loss takes the sentence embeddings of one
 * batch (one matrix per text column) and returns the loss value together with the gradient of the
 * loss with respect to every embedding, so a hand-written encoder backward can continue from there.
 *
 * <p>The definitions follow sentence-transformers ({@code sentence_transformers/sentence_transformer/losses/},
 * default arguments included); each class names the one it mirrors and says where it differs.
 *
 * <h2>Shape key</h2>
 * <ul>
 *   <li>{@code B}: batch size (rows of every column)</li>
 *   <li>{@code D}: embedding dimension</li>
 *   <li>{@code K}: number of explicit negative columns (0 for pairs)</li>
 *   <li>{@code C}: number of candidates of a ranking loss, {@code B * (1 + K)}</li>
 *   <li>{@code M}: rows of one mini-batch (cached losses)</li>
 * </ul>
 *
 * <h2>The seam</h2>
 * {@link dev.embedtune.train.loss.EmbeddingLoss#compute(EmbeddingBatch)} maps an
 * {@link dev.embedtune.train.loss.EmbeddingBatch} to a {@link dev.embedtune.train.loss.LossValue}.
 * Wrappers ({@link dev.embedtune.train.loss.MatryoshkaLoss}) call the wrapped loss through the same
 * method; nothing is patched at run time.
 *
 * <p>All arithmetic is done with ND4J ops in the data type of the embeddings (float32 in training,
 * float64 in the gradient checks), so it runs on any ND4J backend. Loss values are returned as
 * {@code double}.
 */
package dev.embedtune.train.loss;
