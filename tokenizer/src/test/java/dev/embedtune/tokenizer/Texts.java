package dev.embedtune.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test inputs: the adversarial set and a seeded random corpus. */
final class Texts {
    private Texts() {}

    /** Hostile inputs. All must tokenize exactly like the Rust tokenizer. */
    static List<String> adversarial() {
        List<String> t = new ArrayList<>(List.of(
                "", " ", "   ", "\t\n\r ", "\u00A0\u2003\u3000 \u2028\u2029\u202F\u205F\u1680",
                "a\u0001b\u0002c\u001Fd\u007Fe\u0085f\u009Fg", "zero\u200Bwidth\u200Cjoin\u200Dbom\uFEFFword\u2060joiner",
                "soft\u00ADhyphen", "private\uE000use", "unassigned\u0378char", "variation\uFE0Fselector",
                "e\u0301 a\u0300\u0316 A\u030A \u00C5 n\u0303o\u0308", "Ünïcödé Çàfé naïve résumé Ångström",
                "İstanbul ΣΑΣ ς ẞ ǅ ﬁ ﬂ Ⅻ ㍿ ＡＢＣ１２３", "中文字符測試，日本語のテキスト。한국어 텍스트 ｶﾀｶﾅ",
                "مرحبا بالعالم، كيف حالك؟ ١٢٣", "สวัสดีครับ ภาษาไทย ๑๒๓", "नमस्ते दुनिया", "Привет, мир! Ёлка",
                "I'm don't we'll they've she'd 'S 'LL o'clock ''quoted'' ’curly’",
                "Hello  world   !  \n\n  new  \r\n\tlines   ", "12345 3.14159 1,000,000 ½ ² ①",
                "∑∫√∞≠≤ ← → ★ ♠ © ® ™ € £ ¥ $5 #tag @user", "http://example.com/a?b=c&d=e#f",
                "[SEP][CLS] [SEP]x[CLS]y [PAD][MASK][UNK] [sep] [ SEP ] [[SEP]] [CLS" ,
                "<|endoftext|> text <|endoftext|><|endoftext|>x", "Hello <mask> world  <mask>!<mask> <s>x</s>",
                "---___***!!!???...,,,;;;:::", "\\ \" ' ` ~ ^ | < > = + { } ( ) [ ]",
                "a".repeat(101), "b".repeat(100), "tokenization".repeat(9)));
        // A 10,000-char word and a 100,000-char text.
        t.add("abcdefghij".repeat(1000));
        Random r = new Random(7);
        StringBuilder big = new StringBuilder();
        while (big.length() < 100_000) big.append(randomText(r, 200)).append(' ');
        t.add(big.substring(0, 100_000));
        t.add("[SEP] [CLS] ".repeat(400) + "[SEP]");
        return t;
    }

    /** Supplementary chars (emoji, ZWJ sequences, flags, math letters, CJK extension B) and NUL. */
    static List<String> supplementary() {
        return List.of("a\u0000b", "\u0000", "😀👍🏽 emoji", "👨‍👩‍👧‍👦 family", "🇫🇷🇩🇪 flags", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math",
                "𠀀𠀁 CJK ext B", "mixed 😀 café 中 \u0000 end", "😀".repeat(50), "x😀y z𝔘");
    }

    /** Texts with lone surrogates, which DJL's JNI bridge cannot pass to Rust intact. */
    static List<String> loneSurrogates() {
        return List.of("x\uD800y", "\uDC00", "tail\uD83D", "lone \uD800 with 😀 and \u0000 too");
    }

    /**
     * What the Rust library receives through DJL 0.30's JNI (jni-rs): the Java string as modified
     * UTF-8, decoded as CESU-8, which is exact for valid strings; a lone surrogate makes that fail
     * and the bytes are then decoded as plain UTF-8, lossily: NUL (C0 80) becomes two U+FFFD and
     * each surrogate half (a 3-byte sequence) three, for the WHOLE string.
     */
    static String jniView(String s) {
        boolean lone = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) { i++; continue; }
            if (Character.isSurrogate(c)) lone = true;
        }
        if (!lone) return s;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) sb.append("\uFFFD\uFFFD");
            else if (Character.isSurrogate(c)) sb.append("\uFFFD\uFFFD\uFFFD");
            else sb.append(c);
        }
        return sb.toString();
    }

    private static final String[] WORDS = {"the", "a", "tokenizer", "byte", "pair", "encoding", "merges", "rank",
            "don't", "it's", "we're", "café", "naïve", "über", "東京", "データ", "σ", "Ελλάδα", "Москва", "1984",
            "3.5", "$100", "e-mail", "C++", "foo_bar", "x86-64", "HTTP/1.1", "(parenthesis)", "\"quoted\"", "O'Neil"};
    private static final String PALETTE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            + "     \n\t'\".,;:!?-_()[]{}<>/\\@#$%^&*+=|~`éüñçøßåÆŒ€£¥§°±µ·¿¡–—‘’“”…中文日本한국ภาษาعربيαβγδДЖЯ\u0301\u00A0\u200B";

    /** Random words, punctuation and whitespace from a fixed palette (BMP, no NUL, no surrogates). */
    static String randomText(Random r, int maxLen) {
        StringBuilder sb = new StringBuilder();
        int len = r.nextInt(maxLen + 1);
        while (sb.length() < len) {
            switch (r.nextInt(4)) {
                case 0, 1 -> sb.append(WORDS[r.nextInt(WORDS.length)]);
                case 2 -> sb.append(PALETTE.charAt(r.nextInt(PALETTE.length())));
                default -> sb.append(r.nextBoolean() ? " " : "  ");
            }
        }
        return sb.toString();
    }

    static List<String> randomCorpus(long seed, int n, int maxLen) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(randomText(r, maxLen));
        return out;
    }
}
