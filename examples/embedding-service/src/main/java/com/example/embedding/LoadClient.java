package com.example.embedding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Concurrent clients against a running {@link EmbeddingServer}. For each client count the same
 * number of requests is split among the clients; each client sends its next request when the
 * previous one is answered. Every answer is checked against the answer the same request got when
 * sent alone (first, one at a time): same count, same dimension, components within
 * {@value #TOLERANCE} — a server that mixed requests up would fail that. Prints throughput and
 * latency per client count and exits 1 if any request failed.
 *
 * <pre>
 *   LoadClient [--url http://127.0.0.1:8080] [--clients 1,2,8] [--requests 48] [--texts 8]
 * </pre>
 */
public final class LoadClient {
    /** Per component: the same request alone vs under load (0 with a deterministic engine; a mixed-up
     *  request is off by 1e-2 or more). */
    static final double TOLERANCE = 1e-6;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DISTINCT_REQUESTS = 16;

    private LoadClient() {
    }

    public static void main(String[] args) throws Exception {
        String url = "http://127.0.0.1:8080";
        int[] clientCounts = {1, 2, 8};
        int requests = 48;
        int textsPerRequest = 8;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--url" -> url = args[i + 1];
                case "--clients" -> clientCounts = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--requests" -> requests = Integer.parseInt(args[i + 1]);
                case "--texts" -> textsPerRequest = Integer.parseInt(args[i + 1]);
                default -> {
                    System.err.println("usage: LoadClient [--url http://127.0.0.1:8080] [--clients 1,2,8] [--requests 48] [--texts 8]");
                    System.exit(2);
                }
            }
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI embed = URI.create(url + "/embed");

        // The reference answers: each distinct request alone.
        List<byte[]> bodies = bodies(DISTINCT_REQUESTS, textsPerRequest);
        List<float[][]> alone = new ArrayList<>();
        for (byte[] body : bodies) {
            alone.add(vectors(send(http, embed, body)));
        }
        System.out.printf(Locale.ROOT, "%d texts per request, dimension %d, %s%n", textsPerRequest, alone.get(0)[0].length, embed);
        System.out.println("clients  requests  seconds  requests/s  texts/s  p50 ms  p95 ms  max |diff|  errors");
        int totalErrors = 0;
        for (int clients : clientCounts) {
            Result r = run(http, embed, bodies, alone, clients, requests);
            System.out.printf(Locale.ROOT, "%7d  %8d  %7.2f  %10.2f  %7.1f  %6.0f  %6.0f  %10.2g  %6d%n", clients, requests,
                    r.seconds, requests / r.seconds, requests * (double) textsPerRequest / r.seconds,
                    r.percentile(0.50), r.percentile(0.95), r.maxDiff, r.errors.size());
            r.errors.stream().limit(5).forEach(e -> System.out.println("  error: " + e));
            totalErrors += r.errors.size();
        }
        System.exit(totalErrors == 0 ? 0 : 1);
    }

    private record Result(double seconds, double[] latenciesMs, double maxDiff, List<String> errors) {
        double percentile(double p) {
            double[] sorted = Arrays.stream(latenciesMs).filter(x -> !Double.isNaN(x)).sorted().toArray();
            return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
        }
    }

    private static Result run(HttpClient http, URI embed, List<byte[]> bodies, List<float[][]> alone, int clients,
            int requests) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        double[] latencies = new double[requests];
        Arrays.fill(latencies, Double.NaN);   // stays NaN for a failed request
        double[] maxDiff = new double[clients];
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(clients);
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            int client = c;
            new Thread(() -> {
                try {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        int which = i % bodies.size();
                        long t0 = System.nanoTime();
                        try {
                            float[][] got = vectors(send(http, embed, bodies.get(which)));
                            latencies[i] = (System.nanoTime() - t0) / 1e6;
                            maxDiff[client] = Math.max(maxDiff[client], maxDiff(alone.get(which), got));
                        } catch (Exception e) {
                            errors.add("request " + i + ": " + e.getMessage());
                        }
                    }
                } finally {
                    done.countDown();
                }
            }, "client-" + c).start();
        }
        done.await();
        double seconds = (System.nanoTime() - start) / 1e9;
        double worst = Arrays.stream(maxDiff).max().orElse(0);
        List<String> all = new ArrayList<>(errors);
        if (worst > TOLERANCE) {
            all.add("an answer under load differs from the same request alone by " + worst + " > " + TOLERANCE);
        }
        return new Result(seconds, latencies, worst, all);
    }

    private static JsonNode send(HttpClient http, URI embed, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(embed).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + new String(response.body()));
        }
        return JSON.readTree(response.body());
    }

    private static float[][] vectors(JsonNode response) {
        JsonNode rows = response.get("embeddings");
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = rows.get(i);
            out[i] = new float[row.size()];
            for (int d = 0; d < out[i].length; d++) {
                out[i][d] = row.get(d).floatValue();
                if (!Float.isFinite(out[i][d])) {
                    throw new IllegalStateException("embedding " + i + " has a non-finite value at " + d);
                }
            }
        }
        return out;
    }

    private static double maxDiff(float[][] expected, float[][] actual) {
        if (expected.length != actual.length) {
            throw new IllegalStateException(actual.length + " embeddings for " + expected.length + " texts");
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i].length != actual[i].length) {
                throw new IllegalStateException("dimension " + actual[i].length + ", expected " + expected[i].length);
            }
            for (int d = 0; d < expected[i].length; d++) {
                worst = Math.max(worst, Math.abs(expected[i][d] - actual[i][d]));
            }
        }
        return worst;
    }

    /** Distinct request bodies of sentences 6 to 40 words long (seeded, so every run sends the same). */
    static List<byte[]> bodies(int count, int textsPerRequest) {
        String[] words = ("the a hacker kludge compiler kernel patch daemon wizard bug feature cruft grok hack "
                + "network server client cache thread lock queue memory disk file editor shell script build "
                + "release test value user system program data fast slow broken working elegant clumsy").split(" ");
        Random random = new Random(42);
        List<byte[]> out = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            List<String> texts = new ArrayList<>();
            for (int t = 0; t < textsPerRequest; t++) {
                StringBuilder s = new StringBuilder();
                int length = 6 + random.nextInt(35);
                for (int w = 0; w < length; w++) {
                    s.append(w == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
                }
                texts.add(s.append('.').toString());
            }
            try {
                out.add(JSON.writeValueAsBytes(new EmbeddingServer.EmbedRequest(texts, null)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }
}
