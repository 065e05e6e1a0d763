package com.example.embedding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.quant.NativeRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A minimal embedding endpoint on the JDK's own HTTP server, one {@link Embedder} shared by every
 * request thread.
 *
 * <pre>
 *   POST /embed   {"texts": ["first text", "second"], "prompt": "query: "}      (prompt optional)
 *            →    {"model": "...", "dimension": 384, "embeddings": [[0.01, ...], [...]]}
 *   GET  /health  →  {"status": "ok", "model": "...", "dimension": 384}
 *
 *   EmbeddingServer [--model builtin:NAME|DIR] [--host 127.0.0.1] [--port 8080] [--threads N]
 * </pre>
 *
 * Errors are JSON too ({@code {"error": "..."}}): 400 for a body that is not the request above,
 * 405 for another method, 413 for more than {@value #MAX_TEXTS} texts or {@value #MAX_BODY_BYTES}
 * bytes. Vectors are written with Java's shortest round-trip float format, so a client reads back
 * exactly the floats the embedder returned.
 */
public final class EmbeddingServer implements AutoCloseable {
    public static final int MAX_TEXTS = 256;
    public static final int MAX_BODY_BYTES = 4 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The body of POST /embed. Unknown fields are an error naming the field (Jackson's default). */
    public record EmbedRequest(List<String> texts, String prompt) {
    }

    public record EmbedResponse(String model, int dimension, float[][] embeddings) {
    }

    private final HttpServer server;
    private final ExecutorService threads;
    private final Embedder embedder;
    private final String model;

    private EmbeddingServer(HttpServer server, ExecutorService threads, Embedder embedder, String model) {
        this.server = server;
        this.threads = threads;
        this.embedder = embedder;
        this.model = model;
    }

    /**
     * Serves {@code embedder} on {@code address} (port 0: any free port) with {@code threadCount}
     * request threads.
     */
    public static EmbeddingServer start(Embedder embedder, String model, InetSocketAddress address, int threadCount)
            throws IOException {
        HttpServer http = HttpServer.create(address, 64);
        ExecutorService threads = Executors.newFixedThreadPool(threadCount);
        EmbeddingServer s = new EmbeddingServer(http, threads, embedder, model);
        http.createContext("/embed", s::embed);
        http.createContext("/health", s::health);
        http.setExecutor(threads);
        http.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdown();
    }

    private void embed(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.getResponseHeaders().set("Allow", "POST");
                send(exchange, 405, Map.of("error", "use POST with {\"texts\": [...]}"));
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(MAX_BODY_BYTES + 1);
            }
            if (body.length > MAX_BODY_BYTES) {
                send(exchange, 413, Map.of("error", "request body is over " + MAX_BODY_BYTES + " bytes"));
                return;
            }
            EmbedRequest request;
            try {
                request = JSON.readValue(body, EmbedRequest.class);
            } catch (JsonProcessingException e) {
                send(exchange, 400, Map.of("error", "expected {\"texts\": [\"...\"], \"prompt\": optional}: "
                        + e.getOriginalMessage()));
                return;
            }
            String problem = problem(request);
            if (problem != null) {
                send(exchange, problem.startsWith("more than") ? 413 : 400, Map.of("error", problem));
                return;
            }
            float[][] vectors;
            try {
                vectors = request.prompt() == null ? embedder.encode(request.texts())
                        : embedder.encode(request.texts(), request.prompt());
            } catch (RuntimeException e) {
                LOG.error("embedding {} texts failed", request.texts().size(), e);
                send(exchange, 500, Map.of("error", "embedding failed: " + e.getMessage()));
                return;
            }
            send(exchange, 200, new EmbedResponse(model, embedder.dimension(), vectors));
        }
    }

    private static String problem(EmbedRequest request) {
        if (request == null || request.texts() == null) {
            return "missing \"texts\": expected {\"texts\": [\"...\"]}";
        }
        if (request.texts().size() > MAX_TEXTS) {
            return "more than " + MAX_TEXTS + " texts (" + request.texts().size() + "): split the request";
        }
        for (int i = 0; i < request.texts().size(); i++) {
            if (request.texts().get(i) == null) {
                return "texts[" + i + "] is null";
            }
        }
        return null;
    }

    private void health(HttpExchange exchange) throws IOException {
        try (exchange) {
            send(exchange, 200, Map.of("status", "ok", "model", model, "dimension", embedder.dimension()));
        }
    }

    private static void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public static void main(String[] args) throws IOException {
        String model = "builtin:all-minilm-l6-v2";
        String host = "127.0.0.1";
        int port = 8080;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" -> model = args[i + 1];
                case "--host" -> host = args[i + 1];
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> usage();
            }
        }
        if (args.length % 2 != 0) {
            usage();
        }
        Embedder embedder = Embedder.load(ModelCache.resolve(model));
        EmbeddingServer server = start(embedder, model, new InetSocketAddress(host, port), threads);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        LOG.info("serving {} (dimension {}) on http://{}:{}/embed with {} threads; OpenBLAS core {}", model,
                embedder.dimension(), host, server.port(), threads, NativeRuntime.blasCore());
    }

    private static void usage() {
        System.err.println("usage: EmbeddingServer [--model builtin:NAME|DIR] [--host 127.0.0.1] [--port 8080] [--threads N]");
        System.exit(2);
    }
}
