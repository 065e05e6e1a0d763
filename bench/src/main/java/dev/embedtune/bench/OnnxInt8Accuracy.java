package dev.embedtune.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.onnx.OnnxExporter;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.pipeline.PipelineData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The accuracy cost of {@code export-onnx --quantize int8}: a model exported as float32 and as int8
 * (quantize_dynamic per_channel=True), both run by ONNX Runtime, evaluated like {@code embedtune
 * evaluate} (the test split's queries against every passage of the file, NDCG@10 with cosine), beside
 * the Embedder on the same model; plus the cosine of each int8 embedding to its float32 one.
 *
 * <pre>java … dev.embedtune.bench.OnnxInt8Accuracy [model (builtin:all-minilm-l6-v2)] [data.jsonl (the shipped Jargon File)]</pre>
 */
public final class OnnxInt8Accuracy {
    private OnnxInt8Accuracy() {
    }

    public static void main(String[] args) throws Exception {
        String spec = args.length > 0 ? args[0] : "builtin:all-minilm-l6-v2";
        Path work = Files.createTempDirectory("onnx-int8-");
        Path data = args.length > 1 ? Path.of(args[1]) : shipped(work.resolve("jargon.jsonl"));
        Path model = ModelCache.resolve(spec);
        OnnxExporter.Options options = OnnxExporter.Options.DEFAULT.withPoolingInGraph(true);
        OnnxExporter.Result fp32 = OnnxExporter.export(model, work.resolve("fp32"), options);
        OnnxExporter.Result int8 = OnnxExporter.export(model, work.resolve("int8"),
                options.withQuantization(OnnxExporter.Quantization.INT8));

        RetrievalTask task = RetrievalTask.fromJsonl(data);
        InformationRetrievalEvaluator evaluator = InformationRetrievalEvaluator.of(task,
                InformationRetrievalEvaluator.Options.defaults().withName("test"));
        Tokenizer tok = Embedder.tokenizer(ModelDirectory.read(model), null);
        double embedder = ndcg10(evaluator.evaluate(Embedder.load(model)));
        double ndcg32, ndcg8, mean = 0, lowest = 1;
        try (OrtEncoder a = new OrtEncoder(fp32.onnxFile(), tok); OrtEncoder b = new OrtEncoder(int8.onnxFile(), tok)) {
            long t0 = System.nanoTime();
            ndcg32 = ndcg10(evaluator.evaluate(a));
            long t1 = System.nanoTime();
            ndcg8 = ndcg10(evaluator.evaluate(b));
            long t2 = System.nanoTime();
            List<String> texts = new ArrayList<>(task.queries().values());
            texts.addAll(task.corpus().values());
            float[][] x = a.encode(texts), y = b.encode(texts);
            for (int i = 0; i < x.length; i++) {
                double c = 0;
                for (int j = 0; j < x[i].length; j++) {
                    c += (double) x[i][j] * y[i][j];
                }
                mean += c / x.length;
                lowest = Math.min(lowest, c);
            }
            System.out.printf("ORT evaluation time: float32 %.1f s, int8 %.1f s (noisy on a shared machine)%n",
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9);
            System.out.printf("cosine(int8, float32) over %d texts: mean %.5f, lowest %.5f%n", texts.size(), mean, lowest);
        }
        System.out.printf("NDCG@10 (cosine), %d queries vs %d passages: Embedder %.4f, ONNX float32 %.4f, ONNX int8 %.4f "
                + "(int8 - float32 %+.4f); model.onnx %,d bytes float32, %,d bytes int8%n", evaluator.queryCount(),
                evaluator.corpusSize(), embedder, ndcg32, ndcg8, ndcg8 - ndcg32, Files.size(fp32.onnxFile()),
                Files.size(int8.onnxFile()));
        System.out.printf("{\"model\":\"%s\",\"ndcg10_embedder\":%.5f,\"ndcg10_onnx_fp32\":%.5f,\"ndcg10_onnx_int8\":%.5f,"
                + "\"cosine_mean\":%.5f,\"cosine_lowest\":%.5f}%n", spec, embedder, ndcg32, ndcg8, mean, lowest);
    }

    private static double ndcg10(InformationRetrievalEvaluator.Result r) {
        return r.byFunction().get(r.main()).ndcgAtK().get(10);
    }

    private static Path shipped(Path to) throws Exception {
        try (InputStream in = PipelineData.class.getClassLoader().getResourceAsStream(PipelineData.SHIPPED_DATASET)) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
        return to;
    }

    /** sentence_embedding from ONNX Runtime, in batches of 32 by ascending length. */
    private static final class OrtEncoder implements TextEncoder, AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;
        private final Tokenizer tok;

        OrtEncoder(Path onnx, Tokenizer tok) throws OrtException {
            this.session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
            this.tok = tok;
        }

        @Override
        public float[][] encode(List<String> texts) {
            int[] lengths = texts.stream().mapToInt(t -> tok.encode(t).ids().length).toArray();
            Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
            float[][] out = new float[texts.size()][];
            for (int start = 0; start < order.length; start += 32) {
                List<String> part = new ArrayList<>();
                for (int k = start; k < Math.min(order.length, start + 32); k++) {
                    part.add(texts.get(order[k]));
                }
                float[][] v = run(tok.encodeBatch(part));
                for (int i = 0; i < part.size(); i++) {
                    out[order[start + i]] = v[i];
                }
            }
            return out;
        }

        private float[][] run(BatchEncoding b) {
            Map<String, OnnxTensor> in = new HashMap<>();
            try {
                in.put("input_ids", OnnxTensor.createTensor(env, toLong(b.inputIds())));
                in.put("attention_mask", OnnxTensor.createTensor(env, toLong(b.attentionMask())));
                if (session.getInputNames().contains("token_type_ids")) {
                    in.put("token_type_ids", OnnxTensor.createTensor(env, toLong(b.tokenTypeIds())));
                }
                try (OrtSession.Result r = session.run(in)) {
                    return (float[][]) r.get(OnnxExporter.SENTENCE_EMBEDDING).orElseThrow().getValue();
                }
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            } finally {
                in.values().forEach(OnnxTensor::close);
            }
        }

        private static long[][] toLong(int[][] a) {
            return Arrays.stream(a).map(r -> Arrays.stream(r).asLongStream().toArray()).toArray(long[][]::new);
        }

        @Override
        public void close() throws OrtException {
            session.close();
        }
    }
}
