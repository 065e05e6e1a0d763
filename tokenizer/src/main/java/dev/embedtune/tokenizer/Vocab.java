package dev.embedtune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** A model vocabulary: token to id and back. */
record Vocab(Map<String, Integer> tokenToId, String[] idToToken) {

    int id(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? -1 : id;
    }

    String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** {@code model.vocab}: an object from token to a non-negative integer id. */
    static Vocab fromJson(Json json) {
        json.expectObject();
        Map<String, Integer> map = new HashMap<>(json.size() * 2);
        int max = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = json.node().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                throw json.error(json.path() + "[\"" + e.getKey() + "\"]", "expected a non-negative integer id, found " + v);
            }
            map.put(e.getKey(), v.intValue());
            max = Math.max(max, v.intValue());
        }
        if (map.isEmpty()) throw json.error("the vocabulary is empty");
        return of(map, max, json);
    }

    private static Vocab of(Map<String, Integer> map, int max, Json where) {
        String[] byId = new String[max + 1];
        for (Map.Entry<String, Integer> e : map.entrySet()) {
            String previous = byId[e.getValue()];
            if (previous != null) {
                String msg = "id " + e.getValue() + " is given to both \"" + previous + "\" and \"" + e.getKey() + "\"";
                throw where == null ? new TokenizerFormatException(msg) : where.error(msg);
            }
            byId[e.getValue()] = e.getKey();
        }
        return new Vocab(Map.copyOf(map), byId);
    }

    /** BERT's {@code vocab.txt}: one token per line, the id is the line number from 0. */
    static Vocab fromVocabTxt(Path path) throws IOException {
        Map<String, Integer> map = new HashMap<>();
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line;
            int id = 0;
            while ((line = r.readLine()) != null) {
                String token = line.strip();
                if (token.isEmpty()) {
                    throw new TokenizerFormatException(path + ": line " + (id + 1) + ": expected a token, found an empty line");
                }
                if (map.putIfAbsent(token, id) != null) {
                    throw new TokenizerFormatException(path + ": line " + (id + 1) + ": duplicate token \"" + token
                            + "\" (first on line " + (map.get(token) + 1) + ")");
                }
                id++;
            }
        }
        if (map.isEmpty()) throw new TokenizerFormatException(path + ": the vocabulary is empty");
        return of(map, map.size() - 1, null);
    }
}
