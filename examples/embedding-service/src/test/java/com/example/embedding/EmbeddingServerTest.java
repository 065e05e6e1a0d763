package com.example.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The endpoint with 8 concurrent clients: every answer is what the embedder gives the same texts
 * directly, and bad requests get the documented status and a message.
 */
class EmbeddingServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CLIENTS = 8;
    private static final int REQUESTS_PER_CLIENT = 3;

    static Embedder embedder;
    static EmbeddingServer server;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        embedder = Embedder.load(ModelCache.resolve("builtin:all-minilm-l6-v2"));
        server = EmbeddingServer.start(embedder, "builtin:all-minilm-l6-v2", new InetSocketAddress("127.0.0.1", 0), CLIENTS);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void eightConcurrentClientsEachGetTheirOwnVectors() throws Exception {
        List<byte[]> bodies = LoadClient.bodies(CLIENTS * REQUESTS_PER_CLIENT, 4);
        List<float[][]> direct = new ArrayList<>();
        for (byte[] body : bodies) {
            List<String> texts = new ArrayList<>();
            JSON.readTree(body).get("texts").forEach(t -> texts.add(t.asText()));
            direct.add(embedder.encode(texts));
        }
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<JsonNode>>> answers = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int first = c * REQUESTS_PER_CLIENT;
            answers.add(clients.submit(() -> {
                go.await();
                List<JsonNode> got = new ArrayList<>();
                for (int i = first; i < first + REQUESTS_PER_CLIENT; i++) {
                    HttpResponse<byte[]> r = post(bodies.get(i));
                    assertEquals(200, r.statusCode(), () -> new String(r.body()));
                    got.add(JSON.readTree(r.body()));
                }
                return got;
            }));
        }
        go.countDown();
        clients.shutdown();
        assertTrue(clients.awaitTermination(5, TimeUnit.MINUTES), "clients did not finish in 5 minutes");

        double worst = 0;
        for (int c = 0; c < CLIENTS; c++) {
            List<JsonNode> got = answers.get(c).get();
            for (int k = 0; k < REQUESTS_PER_CLIENT; k++) {
                float[][] expected = direct.get(c * REQUESTS_PER_CLIENT + k);
                JsonNode answer = got.get(k);
                assertEquals(384, answer.get("dimension").asInt());
                JsonNode rows = answer.get("embeddings");
                assertEquals(expected.length, rows.size());
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i].length, rows.get(i).size());
                    for (int d = 0; d < expected[i].length; d++) {
                        worst = Math.max(worst, Math.abs(expected[i][d] - rows.get(i).get(d).floatValue()));
                    }
                }
            }
        }
        // Same texts: the answer must be the embedder's own (within run-to-run noise), not another request's rows.
        assertTrue(worst <= LoadClient.TOLERANCE, "served vectors differ from direct ones by " + worst);
    }

    @Test
    void badRequestsGetAStatusAndAMessage() throws Exception {
        assertError(post("not json".getBytes()), 400, "expected {\"texts\"");
        assertError(post("{\"text\": [\"a\"]}".getBytes()), 400, "\"text\"");          // unknown field named
        assertError(post("{\"prompt\": \"query: \"}".getBytes()), 400, "missing \"texts\"");
        assertError(post("{\"texts\": [\"a\", null]}".getBytes()), 400, "texts[1] is null");
        String tooMany = JSON.writeValueAsString(new EmbeddingServer.EmbedRequest(
                java.util.Collections.nCopies(EmbeddingServer.MAX_TEXTS + 1, "x"), null));
        assertError(post(tooMany.getBytes()), 413, "more than 256 texts");
        HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(uri("/embed")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertError(get, 405, "use POST");
        assertEquals("POST", get.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void anEmptyListGivesNoVectorsAndAPromptIsApplied() throws Exception {
        HttpResponse<byte[]> empty = post("{\"texts\": []}".getBytes());
        assertEquals(200, empty.statusCode());
        assertEquals(0, JSON.readTree(empty.body()).get("embeddings").size());

        HttpResponse<byte[]> prompted = post("{\"texts\": [\"kludge\"], \"prompt\": \"query: \"}".getBytes());
        assertEquals(200, prompted.statusCode());
        float[] expected = embedder.encode(List.of("kludge"), "query: ")[0];
        JsonNode row = JSON.readTree(prompted.body()).get("embeddings").get(0);
        for (int d = 0; d < expected.length; d++) {
            assertEquals(expected[d], row.get(d).floatValue(), LoadClient.TOLERANCE);
        }
    }

    private static void assertError(HttpResponse<byte[]> response, int status, String messagePart) throws Exception {
        String body = new String(response.body());
        assertEquals(status, response.statusCode(), body);
        String error = JSON.readTree(body).get("error").asText();
        assertTrue(error.contains(messagePart), "\"" + error + "\" should contain \"" + messagePart + "\"");
    }

    private static HttpResponse<byte[]> post(byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri("/embed")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
