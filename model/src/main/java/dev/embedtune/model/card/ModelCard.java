package dev.embedtune.model.card;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.EmbedtuneVersion;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.model.st.VersionStamps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A model directory's {@code README.md} as sentence-transformers writes it
 * (sentence_transformers/sentence_transformer/model_card_template.md): metadata (base model, library,
 * pipeline and loss tags), the model's description and architecture read from the directory itself,
 * usage, the run's evaluation tables, training data, loss and settings, and the versions that wrote
 * it. BERT weights without {@code pooler.dense} (the ONNX exports of the built-ins lack it) are
 * explained: transformers reports them missing and initialises them randomly, which changes nothing
 * sentence-transformers computes (it never uses the pooler).
 */
public final class ModelCard {
    public static final String FILE = "README.md";

    private ModelCard() {
    }

    /** Writes {@code <modelDir>/README.md} (atomically), replacing any card there. */
    public static void write(Path modelDir, RunFacts facts) throws IOException {
        AtomicFiles.write(modelDir.resolve(FILE), text(modelDir, facts).getBytes(StandardCharsets.UTF_8));
    }

    /** The card for the model directory {@code modelDir}. */
    public static String text(Path modelDir, RunFacts facts) throws IOException {
        ModelDirectory md = ModelDirectory.read(modelDir);
        boolean lacksPooler = false;
        if (md.config() instanceof BertConfig) {
            try (TensorSource w = md.openWeights()) {
                lacksPooler = !w.contains("pooler.dense.weight");
            }
        }
        String base = facts.baseModel();
        boolean trained = facts.loss() != null || facts.datasetName() != null || !facts.settings().isEmpty();
        int dimension = md.settings().truncateDim() != null ? md.settings().truncateDim() : md.pooling().outputDimension();

        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("base_model", CardText.isHubId(base) ? base : null);
        meta.put("library_name", "sentence-transformers");
        meta.put("pipeline_tag", "sentence-similarity");
        List<String> tags = new ArrayList<>(List.of("sentence-transformers", "sentence-similarity", "feature-extraction",
                "embedtune"));
        if (facts.trainingSamples() != null) {
            tags.add("dataset_size:" + facts.trainingSamples());
        }
        CardText.lossNames(facts.loss()).forEach(l -> tags.add("loss:" + l));
        meta.put("tags", tags);

        StringBuilder s = new StringBuilder(CardText.frontMatter(meta));
        s.append("\n# SentenceTransformer based on ").append(base).append("\n\n");
        s.append("This is a [sentence-transformers](https://www.SBERT.net) model ")
                .append(trained ? "finetuned with embedtune from " : "converted by embedtune from ")
                .append(CardText.baseModelLink(base));
        if (facts.datasetName() != null) {
            s.append(" on ").append(facts.datasetName());
        }
        s.append(". It maps sentences and paragraphs to a ").append(dimension)
                .append("-dimensional dense vector space and can be used for retrieval, semantic textual similarity, "
                        + "clustering and classification.\n");

        s.append("\n## Model Details\n\n### Model Description\n\n- **Model Type:** Sentence Transformer\n")
                .append("- **Base model:** ").append(CardText.baseModelLink(base)).append('\n')
                .append("- **Maximum Sequence Length:** ").append(md.sentenceBert().maxSeqLength()).append(" tokens\n")
                .append("- **Output Dimensionality:** ").append(dimension).append(" dimensions\n")
                .append("- **Similarity Function:** ").append(similarityName(md.settings().similarityFnName())).append('\n');
        if (facts.datasetName() != null) {
            s.append("- **Training Dataset:** ").append(facts.datasetName()).append('\n');
        }
        s.append("\n### Full Model Architecture\n\n```\n").append(architecture(md)).append("```\n");
        if (lacksPooler) {
            s.append("\n### Weights\n\nThis checkpoint has no BERT pooler (`pooler.dense.weight`, `pooler.dense.bias`): the ONNX "
                    + "export it was imported from does not include one. transformers' `BertModel` therefore reports these two "
                    + "tensors as MISSING when it loads the model and initialises them randomly, so its `pooler_output` is "
                    + "meaningless. sentence-transformers does not use the pooler (it pools `last_hidden_state` as described "
                    + "above), so the embeddings are unaffected.\n");
        }

        s.append("\n## Usage\n\n### Direct Usage (Sentence Transformers)\n\n```bash\npip install -U sentence-transformers\n```\n\n")
                .append("```python\nfrom sentence_transformers import SentenceTransformer\n\n")
                .append("model = SentenceTransformer(\"path/to/this/model\")\n")
                .append("embeddings = model.encode([\"hacker\", \"a clever programming trick\"])\n")
                .append("print(embeddings.shape)  # (2, ").append(dimension).append(")\n```\n\n")
                .append("### Direct Usage (Java, embedtune)\n\n```java\n")
                .append("Embedder embedder = Embedder.load(Path.of(\"path/to/this/model\"));\n")
                .append("float[][] vectors = embedder.encode(List.of(\"hacker\", \"a clever programming trick\"));\n```\n");

        if (!facts.evaluations().isEmpty()) {
            s.append("\n## Evaluation\n\n### Metrics\n").append(CardText.evaluations(facts.evaluations()));
        }

        if (trained) {
            s.append("\n## Training Details\n");
            if (facts.datasetName() != null || facts.trainingSamples() != null) {
                s.append("\n### Training Dataset\n\n#### ").append(facts.datasetName() != null ? facts.datasetName() : "Unnamed Dataset")
                        .append("\n\n");
                if (facts.trainingSamples() != null) {
                    s.append(String.format(Locale.ROOT, "* Size: %,d training samples%n", facts.trainingSamples()));
                }
                if (facts.loss() != null) {
                    s.append("* Loss: `").append(facts.loss()).append("`\n");
                }
            } else if (facts.loss() != null) {
                s.append("\n* Loss: `").append(facts.loss()).append("`\n");
            }
            if (!facts.settings().isEmpty()) {
                s.append("\n### Training Hyperparameters\n\n").append(CardText.settings(facts.settings()));
            }
        }

        s.append("\n### Framework Versions\n\n- embedtune: ").append(EmbedtuneVersion.get()).append('\n')
                .append("- Files: the layouts of sentence-transformers ").append(VersionStamps.ST_LAYOUT)
                .append(" and transformers ").append(transformersLayout(md))
                .append(" (`__version__` in config_sentence_transformers.json and `transformers_version` in config.json name "
                        + "the layout followed; `embedtune_version` names the program that wrote them: no Python library ran)\n");
        return s.toString();
    }

    /** config.json's transformers_version as the file on disk has it (a merged model keeps its base's). */
    private static String transformersLayout(ModelDirectory md) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(md.transformerDir().resolve("config.json").toFile())
                .path("transformers_version").asText("(unstated)");
    }

    private static String similarityName(String fn) {
        return switch (fn) {
            case "cosine" -> "Cosine Similarity";
            case "dot" -> "Dot Product";
            case "euclidean" -> "Euclidean Distance";
            case "manhattan" -> "Manhattan Distance";
            default -> fn;
        };
    }

    /** sentence-transformers' {@code print(model)}, e.g. {@code (0): Transformer({...})}. */
    private static String architecture(ModelDirectory md) {
        PoolingConfig p = md.pooling();
        String architecture = md.config() instanceof BertConfig ? "BertModel" : "ModernBertModel";
        StringBuilder s = new StringBuilder("SentenceTransformer(\n");
        s.append("  (0): Transformer({'max_seq_length': ").append(md.sentenceBert().maxSeqLength())
                .append(", 'do_lower_case': ").append(md.sentenceBert().doLowerCase() ? "True" : "False")
                .append(", 'architecture': '").append(architecture).append("'})\n");
        Map<String, Object> pooling = new LinkedHashMap<>();
        pooling.put("word_embedding_dimension", p.wordEmbeddingDimension());
        pooling.put("pooling_mode_cls_token", p.clsToken());
        pooling.put("pooling_mode_mean_tokens", p.meanTokens());
        pooling.put("pooling_mode_max_tokens", p.maxTokens());
        pooling.put("pooling_mode_mean_sqrt_len_tokens", p.meanSqrtLenTokens());
        pooling.put("pooling_mode_weightedmean_tokens", p.weightedMeanTokens());
        pooling.put("pooling_mode_lasttoken", p.lastToken());
        pooling.put("include_prompt", p.includePrompt());
        s.append("  (1): Pooling({").append(pooling.entrySet().stream()
                .map(e -> "'" + e.getKey() + "': " + python(e.getValue())).collect(Collectors.joining(", "))).append("})\n");
        if (md.normalize()) {
            s.append("  (2): Normalize()\n");
        }
        return s.append(")\n").toString();
    }

    private static String python(Object v) {
        return v instanceof Boolean b ? (b ? "True" : "False") : String.valueOf(v);
    }
}
