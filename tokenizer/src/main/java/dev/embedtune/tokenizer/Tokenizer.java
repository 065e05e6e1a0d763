package dev.embedtune.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A Hugging Face tokenizer run in Java: added tokens → {@link Normalizer} → {@link PreTokenizer}
 * → {@link TokenModel} (WordPiece or BPE) → truncation → {@link PostProcessor} → padding, with the
 * same ids, type ids, attention mask and offsets as the Rust {@code tokenizers} library.
 *
 * <p>Immutable and thread-safe; {@link #withTruncation} and {@link #withPadding} return
 * configured copies. The {@code truncation} and {@code padding} sections of a
 * {@code tokenizer.json} are NOT applied (sentence-transformers ignores them too); only the pad
 * token is taken from them.
 *
 * <pre>{@code
 * Tokenizer t = Tokenizer.fromFile(dir.resolve("tokenizer.json"))
 *         .withTruncation(Truncation.of(256)).withPadding(Padding.longest());
 * BatchEncoding batch = t.encodeBatch(List.of("first text", "second text"));
 * }</pre>
 */
public final class Tokenizer {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Batches at least this large are encoded on the common fork-join pool. */
    private static final int PARALLEL_BATCH = 64;

    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final TokenModel model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final AddedVocabulary added;
    private final int padId;
    private final int padTypeId;
    private final String padToken;
    private final Integer fileMaxLength;
    private final Truncation truncation;
    private final Padding padding;

    private Tokenizer(Normalizer normalizer, PreTokenizer preTokenizer, TokenModel model, PostProcessor postProcessor,
                      Decoder decoder, AddedVocabulary added, int padId, int padTypeId, String padToken,
                      Integer fileMaxLength, Truncation truncation, Padding padding) {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.added = added;
        this.padId = padId;
        this.padTypeId = padTypeId;
        this.padToken = padToken;
        this.fileMaxLength = fileMaxLength;
        this.truncation = truncation;
        this.padding = padding;
    }

    // ---------------------------------------------------------------------------------- loading

    /** Loads a Hugging Face {@code tokenizer.json}. */
    public static Tokenizer fromFile(Path tokenizerJson) throws IOException {
        return fromJson(Files.readString(tokenizerJson), tokenizerJson.toString());
    }

    /** Loads a {@code tokenizer.json} from a stream (e.g. a classpath resource); {@code name} appears in errors. */
    public static Tokenizer fromStream(InputStream in, String name) throws IOException {
        return fromJson(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), name);
    }

    public static Tokenizer fromJson(String json) {
        return fromJson(json, "tokenizer.json");
    }

    /**
     * Parses {@code json}; {@code source} names it in error messages.
     *
     * @throws TokenizerFormatException naming the JSON path of a missing, mistyped or unknown field
     */
    public static Tokenizer fromJson(String json, String source) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject()) throw new TokenizerFormatException(source + ": expected a JSON object at the top level");
        Json root = Json.root(tree, source);
        Json n = root.optional("normalizer");
        Normalizer normalizer = n == null ? null : Normalizer.fromJson(n);
        Json p = root.optional("pre_tokenizer");
        PreTokenizer preTokenizer = p == null ? null : PreTokenizer.fromJson(p);
        TokenModel model = TokenModel.fromJson(root.field("model"));
        Json pp = root.optional("post_processor");
        PostProcessor post = pp == null ? null : PostProcessor.fromJson(pp);
        Json d = root.optional("decoder");
        Decoder decoder = d == null ? null : Decoder.fromJson(d);

        List<AddedToken> addedTokens = new ArrayList<>();
        Json at = root.optional("added_tokens");
        if (at != null) {
            at.expectArray();
            for (int i = 0; i < at.size(); i++) addedTokens.add(AddedToken.fromJson(at.element(i)));
        }
        AddedVocabulary added = new AddedVocabulary(addedTokens, normalizer);

        // Only the pad token is taken from "padding"; its strategy and length are ignored.
        int padId;
        int padTypeId = 0;
        String padToken;
        Json pad = root.optional("padding");
        if (pad != null) {
            padId = pad.integer("pad_id", 0);
            padTypeId = pad.integer("pad_type_id", 0);
            if (padId < 0 || padTypeId < 0) {
                throw pad.error("pad_id and pad_type_id must be non-negative, found " + padId + " and " + padTypeId);
            }
            padToken = pad.text("pad_token", "[PAD]");
        } else {
            padToken = null;
            padId = -1;
            for (String candidate : List.of("[PAD]", "<pad>", "<|pad|>", "<|padding|>")) {
                AddedToken t = added.byContent(candidate);
                int id = t != null ? t.id() : model.tokenToId(candidate);
                if (id >= 0) { padToken = candidate; padId = id; break; }
            }
            if (padId < 0) { padToken = "[PAD]"; padId = 0; } // Hugging Face's PaddingParams default
        }
        Json trunc = root.optional("truncation");
        Integer fileMax = trunc == null ? null : trunc.integer("max_length", 0);
        return new Tokenizer(normalizer, preTokenizer, model, post, decoder, added, padId, padTypeId, padToken,
                fileMax, null, null);
    }

    /**
     * BERT's pipeline over a bare {@code vocab.txt}: BertNormalizer (lower-casing as given, accents
     * stripped when lower-casing), BertPreTokenizer, WordPiece ({@code [UNK]}, {@code ##}, 100),
     * {@code [CLS] A [SEP] B [SEP]}; {@code [PAD] [UNK] [CLS] [SEP] [MASK]} are special tokens.
     */
    public static Tokenizer fromVocab(Path vocabTxt, boolean lowercase) throws IOException {
        Vocab vocab = Vocab.fromVocabTxt(vocabTxt);
        for (String required : List.of("[UNK]", "[CLS]", "[SEP]")) {
            if (vocab.id(required) < 0) {
                throw new TokenizerFormatException(vocabTxt + ": BERT's special token " + required + " is not in the vocabulary");
            }
        }
        Normalizer normalizer = new BertNormalizer(true, true, null, lowercase);
        TokenModel model = new WordPiece(vocab, "[UNK]", "##", 100, null);
        List<AddedToken> specials = new ArrayList<>();
        for (String s : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
            int id = vocab.id(s);
            if (id >= 0) specials.add(new AddedToken(id, s, true, false, false, false, false));
        }
        PostProcessor post = new BertProcessing(vocab.id("[CLS]"), vocab.id("[SEP]"));
        int padId = Math.max(0, vocab.id("[PAD]"));
        return new Tokenizer(normalizer, new BertPreTokenizer(), model, post, new WordPieceDecoder("##", true),
                new AddedVocabulary(specials, normalizer), padId, 0, "[PAD]", null, null, null);
    }

    // ---------------------------------------------------------------------------------- options

    /** A copy that truncates to {@code truncation.maxLength()} tokens including special tokens; null for none. */
    public Tokenizer withTruncation(Truncation truncation) {
        return new Tokenizer(normalizer, preTokenizer, model, postProcessor, decoder, added, padId, padTypeId, padToken,
                fileMaxLength, truncation, padding);
    }

    /** A copy that pads; null for none. Batches pad to their longest; a fixed length also pads single encodings. */
    public Tokenizer withPadding(Padding padding) {
        return new Tokenizer(normalizer, preTokenizer, model, postProcessor, decoder, added, padId, padTypeId, padToken,
                fileMaxLength, truncation, padding);
    }

    /** A copy that pads with {@code token} (an added token or a vocabulary entry). */
    public Tokenizer withPadToken(String token) {
        int id = tokenToId(token);
        if (id < 0) throw new IllegalArgumentException("pad token \"" + token + "\" is not in the vocabulary");
        return new Tokenizer(normalizer, preTokenizer, model, postProcessor, decoder, added, id, padTypeId, token,
                fileMaxLength, truncation, padding);
    }

    public Truncation truncation() {
        return truncation;
    }

    public Padding padding() {
        return padding;
    }

    public int padId() {
        return padId;
    }

    public String padToken() {
        return padToken;
    }

    /** {@code truncation.max_length} of the file, which is NOT applied (null when absent). */
    public Integer fileTruncationMaxLength() {
        return fileMaxLength;
    }

    // --------------------------------------------------------------------------------- encoding

    /** Encodes one text with special tokens. */
    public Encoding encode(String text) {
        return encode(text, true);
    }

    public Encoding encode(String text, boolean addSpecialTokens) {
        return encodePair(text, null, addSpecialTokens);
    }

    /** Encodes a pair ({@code [CLS] A [SEP] B [SEP]} for BERT, type ids 0 then 1). */
    public Encoding encode(String first, String second) {
        return encodePair(first, second, true);
    }

    public Encoding encodePair(String first, String second, boolean addSpecialTokens) {
        if (first == null) throw new IllegalArgumentException("text must not be null");
        TokenList a = tokenize(first);
        TokenList b = second == null ? null : tokenize(second);
        EncodingBuilder out = postProcess(a, b, addSpecialTokens);
        int padTo = padding != null && padding.isFixed() ? padding.fixedLength() : 0;
        return out.build(padTo, padId, padTypeId, this::idToToken);
    }

    /** Encodes texts (in parallel for large batches) and pads them as {@link #padding()} says. */
    public BatchEncoding encodeBatch(List<String> texts) {
        return encodeBatch(texts, null);
    }

    /** Encodes pairs {@code (firsts[i], seconds[i])}; {@code seconds} may be null for single texts. */
    public BatchEncoding encodeBatch(List<String> firsts, List<String> seconds) {
        if (seconds != null && seconds.size() != firsts.size()) {
            throw new IllegalArgumentException("pair batch sizes differ: " + firsts.size() + " vs " + seconds.size());
        }
        int n = firsts.size();
        EncodingBuilder[] built = new EncodingBuilder[n];
        IntStream range = IntStream.range(0, n);
        if (n >= PARALLEL_BATCH) range = range.parallel();
        range.forEach(i -> {
            String first = firsts.get(i);
            if (first == null) throw new IllegalArgumentException("text " + i + " is null");
            built[i] = postProcess(tokenize(first), seconds == null ? null : tokenize(seconds.get(i)), true);
        });
        int padTo = 0;
        if (padding != null) {
            if (padding.isFixed()) padTo = padding.fixedLength();
            else for (EncodingBuilder b : built) padTo = Math.max(padTo, b.size());
        }
        List<Encoding> encodings = new ArrayList<>(n);
        int[][] ids = new int[n][], mask = new int[n][], types = new int[n][];
        for (int i = 0; i < n; i++) {
            Encoding e = built[i].build(padTo, padId, padTypeId, this::idToToken);
            encodings.add(e);
            ids[i] = e.ids();
            mask[i] = e.attentionMask();
            types[i] = e.typeIds();
        }
        return new BatchEncoding(ids, mask, types, List.copyOf(encodings));
    }

    private EncodingBuilder postProcess(TokenList a, TokenList b, boolean addSpecialTokens) {
        if (truncation != null) {
            int reserved = addSpecialTokens && postProcessor != null ? postProcessor.addedTokens(b != null) : 0;
            int budget = truncation.maxLength() - reserved;
            if (budget < 0) {
                throw new IllegalArgumentException("max length " + truncation.maxLength() + " leaves no room for the "
                        + reserved + " special tokens");
            }
            truncation.apply(a, b, budget);
        }
        EncodingBuilder out = new EncodingBuilder(a.size + (b == null ? 0 : b.size) + 4);
        if (postProcessor != null) postProcessor.process(a, b, addSpecialTokens, this::idToToken, out);
        else PostProcessor.concatenate(a, b, 0, out);
        return out;
    }

    /** Added tokens, then normalizer, pre-tokenizer and model over the text between them. */
    private TokenList tokenize(String text) {
        TokenList out = new TokenList(text.length() / 3 + 8);
        char[] chars = text.toCharArray();
        IntList matches = new IntList();
        added.findRaw(chars, 0, chars.length, matches);
        int prev = 0;
        for (int k = 0; k < matches.size(); k += 3) {
            int s = matches.get(k + 1), e = matches.get(k + 2);
            if (s > prev) tokenizeSegment(text, prev, s, out);
            out.add(added.rawToken(matches.get(k)).id(), s, e);
            prev = e;
        }
        if (prev < chars.length) tokenizeSegment(text, prev, chars.length, out);
        return out;
    }

    private void tokenizeSegment(String text, int from, int to, TokenList out) {
        Piece piece = Unicode.identity(text, from, to);
        if (normalizer != null) piece = normalizer.normalize(piece);
        if (added.hasNormalizedTokens()) {
            IntList matches = new IntList();
            added.findNormalized(piece.chars, piece.from, piece.to, matches);
            int prev = piece.from;
            for (int k = 0; k < matches.size(); k += 3) {
                int s = matches.get(k + 1), e = matches.get(k + 2);
                if (s > prev) modelWords(piece.slice(prev, s), out);
                out.add(added.normalizedToken(matches.get(k)).id(), piece.starts[s], piece.ends[e - 1]);
                prev = e;
            }
            if (prev < piece.to) modelWords(piece.slice(prev, piece.to), out);
        } else {
            modelWords(piece, out);
        }
    }

    private void modelWords(Piece piece, TokenList out) {
        if (piece.isEmpty()) return;
        if (preTokenizer == null) {
            model.tokenize(piece, out);
            return;
        }
        List<Piece> words = new ArrayList<>();
        preTokenizer.preTokenize(piece, words);
        for (Piece w : words) model.tokenize(w, out);
    }

    // --------------------------------------------------------------------------------- decoding

    /** Ids back to text; with {@code skipSpecialTokens} the special added tokens are left out. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            AddedToken t = added.byId(id);
            if (t != null && t.special() && skipSpecialTokens) continue;
            String token = idToToken(id);
            if (token == null) throw new IllegalArgumentException("id " + id + " is not in the vocabulary (size " + vocabSize() + ")");
            tokens.add(token);
        }
        return decoder == null ? String.join(" ", tokens) : decoder.decode(tokens);
    }

    // ------------------------------------------------------------------------------- vocabulary

    /** The id of a token (added tokens first, then the model's vocabulary), or -1. */
    public int tokenToId(String token) {
        AddedToken t = added.byContent(token);
        return t != null ? t.id() : model.tokenToId(token);
    }

    /** The token of an id, or null. */
    public String idToToken(int id) {
        AddedToken t = added.byId(id);
        return t != null ? t.content() : model.idToToken(id);
    }

    /** Model vocabulary size plus added tokens beyond it. */
    public int vocabSize() {
        int max = model.vocabSize();
        for (AddedToken t : added.tokens()) max = Math.max(max, t.id() + 1);
        return max;
    }

    /**
     * An id this tokenizer can emit.
     *
     * @param token  its token (null when no token of the vocabulary has it, e.g. a bare pad id)
     * @param source where tokenizer.json gives it: {@code model.vocab}, {@code added_tokens},
     *               {@code post_processor} or {@code padding}
     */
    public record TokenId(int id, String token, String source) {
    }

    /**
     * The largest id this tokenizer can put into {@link Encoding#ids()}: of the model's vocabulary,
     * the added tokens, the post-processor's special tokens and the pad token. A model's embedding
     * table needs more rows than this id.
     */
    public TokenId largestId() {
        TokenId best = new TokenId(model.vocabSize() - 1, model.idToToken(model.vocabSize() - 1), "model.vocab");
        for (AddedToken t : added.tokens()) {
            if (t.id() > best.id()) best = new TokenId(t.id(), t.content(), "added_tokens");
        }
        if (postProcessor != null) {
            for (int id : postProcessor.specialIds()) {
                if (id > best.id()) best = new TokenId(id, idToToken(id), "post_processor");
            }
        }
        if (padId > best.id()) best = new TokenId(padId, padToken, "padding");
        return best;
    }

    /**
     * The largest type id this tokenizer gives a token of a single text ({@code pair} false) or of a
     * pair of texts, padding included. A model's token-type table needs more rows than this.
     */
    public int largestTypeId(boolean pair) {
        int types = postProcessor != null ? postProcessor.largestTypeId(pair) : 0;
        return Math.max(types, padTypeId);
    }

    /** The special tokens the post-processor adds: {@code [CLS]}/{@code [SEP]} count for a single text or a pair. */
    public int specialTokenCount(boolean pair) {
        return postProcessor == null ? 0 : postProcessor.addedTokens(pair);
    }

    @Override
    public String toString() {
        return "Tokenizer[model=" + model.getClass().getSimpleName() + ", vocab=" + vocabSize() + ", truncation="
                + truncation + ", padding=" + padding + ", pad=" + padToken + "/" + padId + "]";
    }
}
