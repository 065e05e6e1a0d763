package dev.embedtune.model.st;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * Whether a tokenizer belongs to a model: every id it can emit must be a row of the word embedding
 * table, and every type id of a single text a row of BERT's token-type table. Checked once when the
 * two meet, so that a mismatched tokenizer.json is an error naming both files instead of an
 * out-of-range index inside a native gather (which crashes the JVM).
 */
public final class TokenizerFit {
    private TokenizerFit() {
    }

    /** @throws ModelFormatException naming the tokenizer file, the token, its id and the table size */
    public static void check(ModelDirectory model, Tokenizer tokenizer) throws ModelFormatException {
        Path tokenizerFile = model.tokenizerJson() != null ? model.tokenizerJson() : model.vocabTxt();
        Path configJson = model.transformerDir().resolve("config.json");
        Tokenizer.TokenId largest = tokenizer.largestId();
        int rows = model.config().vocabSize();
        if (largest.id() >= rows) {
            String token = largest.token() == null ? "" : "token \"" + largest.token() + "\" ";
            throw new ModelFormatException(tokenizerFile, token + "has id " + largest.id() + " (" + largest.source()
                    + "), but the model's word embedding table has " + rows + " rows (vocab_size in " + configJson
                    + "): ids must be below " + rows + "; this tokenizer does not belong to this model");
        }
        if (model.config() instanceof BertConfig bert && tokenizer.largestTypeId(false) >= bert.typeVocabSize()) {
            throw new ModelFormatException(tokenizerFile, "gives token type id " + tokenizer.largestTypeId(false)
                    + ", but the model's token type table has " + bert.typeVocabSize() + " rows (type_vocab_size in "
                    + configJson + ")");
        }
    }
}
