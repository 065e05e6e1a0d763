package dev.embedtune.model.st;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.JsonFields;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * sentence-transformers' {@code 1_Pooling/config.json}. Several modes may be on at once; the
 * pooled vector is then their concatenation in the order cls, mean, max, mean_sqrt_len,
 * weightedmean, lasttoken (as sentence-transformers' Pooling does).
 *
 * @param includePrompt whether prompt tokens take part in pooling (false excludes them)
 */
public record PoolingConfig(int wordEmbeddingDimension, boolean clsToken, boolean meanTokens,
        boolean maxTokens, boolean meanSqrtLenTokens, boolean weightedMeanTokens, boolean lastToken,
        boolean includePrompt) {

    /** The pooling modes, in sentence-transformers' concatenation order. */
    public enum Mode { CLS, MEAN, MAX, MEAN_SQRT_LEN_TOKENS, WEIGHTEDMEAN, LASTTOKEN }

    public static PoolingConfig of(Mode mode, int dimension) {
        return new PoolingConfig(dimension, mode == Mode.CLS, mode == Mode.MEAN, mode == Mode.MAX,
                mode == Mode.MEAN_SQRT_LEN_TOKENS, mode == Mode.WEIGHTEDMEAN, mode == Mode.LASTTOKEN, true);
    }

    /** The modes switched on, in concatenation order. */
    public List<Mode> modes() {
        List<Mode> m = new ArrayList<>();
        if (clsToken) m.add(Mode.CLS);
        if (meanTokens) m.add(Mode.MEAN);
        if (maxTokens) m.add(Mode.MAX);
        if (meanSqrtLenTokens) m.add(Mode.MEAN_SQRT_LEN_TOKENS);
        if (weightedMeanTokens) m.add(Mode.WEIGHTEDMEAN);
        if (lastToken) m.add(Mode.LASTTOKEN);
        return m;
    }

    /** Size of the pooled vector: the word embedding dimension times the number of modes. */
    public int outputDimension() {
        return wordEmbeddingDimension * modes().size();
    }

    static PoolingConfig read(Path file, JsonFields f) throws ModelFormatException {
        PoolingConfig p = new PoolingConfig(f.requiredInt("word_embedding_dimension"),
                f.optionalBoolean("pooling_mode_cls_token", false),
                f.optionalBoolean("pooling_mode_mean_tokens", false),
                f.optionalBoolean("pooling_mode_max_tokens", false),
                f.optionalBoolean("pooling_mode_mean_sqrt_len_tokens", false),
                f.optionalBoolean("pooling_mode_weightedmean_tokens", false),
                f.optionalBoolean("pooling_mode_lasttoken", false),
                f.optionalBoolean("include_prompt", true));
        if (p.modes().isEmpty()) {
            throw new ModelFormatException(file, "no pooling_mode_* field is true");
        }
        return p;
    }

    ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("word_embedding_dimension", wordEmbeddingDimension);
        o.put("pooling_mode_cls_token", clsToken);
        o.put("pooling_mode_mean_tokens", meanTokens);
        o.put("pooling_mode_max_tokens", maxTokens);
        o.put("pooling_mode_mean_sqrt_len_tokens", meanSqrtLenTokens);
        o.put("pooling_mode_weightedmean_tokens", weightedMeanTokens);
        o.put("pooling_mode_lasttoken", lastToken);
        o.put("include_prompt", includePrompt);
        return o;
    }
}
