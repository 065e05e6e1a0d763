package dev.embedtune.model.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.onnx.ModelCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One Embedder called from 8 threads at once: every thread gets, for every text, exactly the vector
 * a single caller gets (the encoder computes each sequence on its own tokens, so merging the
 * callers' batches changes nothing), and nothing is lost or mixed up between callers.
 */
class EmbedderConcurrencyTest {

    @Test
    void eightCallersGetWhatOneCallerGets() throws Exception {
        Path minilm = ModelCache.resolve("builtin:all-minilm-l6-v2");
        Embedder embedder = Embedder.load(minilm, new Embedder.Options(4, 64, null));
        List<List<String>> requests = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 5 + t; i++) {
                texts.add("request " + t + " text " + i + " " + "word ".repeat(i * 3 + t));
            }
            requests.add(texts);
        }
        List<float[][]> alone = new ArrayList<>();
        for (List<String> texts : requests) {
            alone.add(embedder.encode(texts));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 3; round++) {
                CyclicBarrier start = new CyclicBarrier(8);
                List<Future<float[][]>> results = new ArrayList<>();
                for (List<String> texts : requests) {
                    results.add(pool.submit(() -> {
                        start.await();
                        return embedder.encode(texts);
                    }));
                }
                for (int t = 0; t < 8; t++) {
                    float[][] got = results.get(t).get();
                    assertTrue(got.length == requests.get(t).size(), "caller " + t + " got a vector per text");
                    for (int i = 0; i < got.length; i++) {
                        assertArrayEquals(alone.get(t)[i], got[i], "caller " + t + ", text " + i + ", round " + round);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
