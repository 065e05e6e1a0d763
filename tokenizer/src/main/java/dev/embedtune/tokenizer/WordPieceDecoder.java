package dev.embedtune.tokenizer;

import java.util.List;

/**
 * Joins WordPiece tokens: a {@code ##} piece glues to the previous token, others get a space;
 * {@code cleanup} removes the space before punctuation and contractions (" ." to ".", " n't" to
 * "n't"), token by token as Hugging Face does.
 */
record WordPieceDecoder(String prefix, boolean cleanup) implements Decoder {
    @Override
    public String decode(List<String> tokens) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (i != 0) t = t.startsWith(prefix) ? t.substring(prefix.length()) : " " + t;
            if (cleanup) t = cleanup(t);
            sb.append(t);
        }
        return sb.toString();
    }

    static String cleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
                .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }
}
