package com.example.embedding;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Embeds a few texts with one or more models and prints the vectors and their cosine similarities.
 *
 * <pre>
 *   EmbedTexts [--model builtin:all-minilm-l6-v2 | builtin:bge-small-en-v1.5 | DIR]... [TEXT]...
 * </pre>
 *
 * A model is a built-in (imported into the model cache on first use: {@code -Dembedtune.home},
 * else {@code $EMBEDTUNE_HOME}, else {@code ~/.cache/embedtune}) or a model directory, such as
 * the {@code model/} that {@code embedtune finetune} writes (the adapters merged into the base).
 * Without {@code --model}, the built-in all-MiniLM-L6-v2.
 */
public final class EmbedTexts {
    private static final List<String> DEFAULT_TEXTS = List.of(
            "A hacker enjoys exploring the details of programmable systems.",
            "A kludge is a clumsy but working solution to a problem.",
            "The weather is sunny and warm today.");

    private EmbedTexts() {
    }

    public static void main(String[] args) {
        List<String> models = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--model") && i + 1 < args.length) {
                models.add(args[++i]);
            } else if (args[i].startsWith("--")) {
                System.err.println("usage: EmbedTexts [--model builtin:NAME|DIR]... [TEXT]...");
                System.exit(2);
            } else {
                texts.add(args[i]);
            }
        }
        if (models.isEmpty()) {
            models.add("builtin:all-minilm-l6-v2");
        }
        if (texts.isEmpty()) {
            texts.addAll(DEFAULT_TEXTS);
        }
        try {
            for (String model : models) {
                embed(model, texts);
            }
        } catch (IOException | IllegalArgumentException e) {
            // Bad model paths and files: the message names the file and what is wrong.
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void embed(String model, List<String> texts) throws IOException {
        long start = System.nanoTime();
        Path dir = ModelCache.resolve(model);                 // a built-in is imported on first use
        Embedder embedder = Embedder.load(dir);
        long loaded = System.nanoTime();
        float[][] vectors = embedder.encode(texts);          // normalised when the model says so
        long embedded = System.nanoTime();

        System.out.printf(Locale.ROOT, "%s (%s)%n  dimension %d; loaded in %.2f s, %d texts embedded in %.3f s%n",
                model, dir, embedder.dimension(), (loaded - start) / 1e9, texts.size(), (embedded - loaded) / 1e9);
        for (int i = 0; i < texts.size(); i++) {
            StringBuilder head = new StringBuilder();
            for (int d = 0; d < 4; d++) {
                head.append(String.format(Locale.ROOT, "%+.4f, ", vectors[i][d]));
            }
            System.out.printf(Locale.ROOT, "  [%s…] norm %.4f  %s%n", head, Math.sqrt(dot(vectors[i], vectors[i])), texts.get(i));
        }
        System.out.println("  cosine similarity:");
        for (int i = 0; i < texts.size(); i++) {
            StringBuilder row = new StringBuilder("   ");
            for (int j = 0; j < texts.size(); j++) {
                double cos = dot(vectors[i], vectors[j]) / Math.sqrt(dot(vectors[i], vectors[i]) * dot(vectors[j], vectors[j]));
                row.append(String.format(Locale.ROOT, " %6.3f", cos));
            }
            System.out.println(row);
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
