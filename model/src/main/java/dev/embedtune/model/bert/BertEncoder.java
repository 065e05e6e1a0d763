package dev.embedtune.model.bert;

import dev.embedtune.autodiff.GraphBlocks;
import dev.embedtune.model.Encoder;
import dev.embedtune.model.GatherIndices;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Hugging Face {@code BertModel} (without pooler) as a SameDiff graph, built once from the
 * weights and reused for batches of any size and length.
 *
 * <p>Shapes: B batch, T tokens, H hidden, N heads, D = H / N head size, F intermediate size.
 * <pre>
 * x = LayerNorm(word[ids] + position[0..T) + type[type_ids])                      [B, T, H]
 * per layer (post-LN):
 *   q, k, v = x·Wqᵀ + bq, x·Wkᵀ + bk, x·Wvᵀ + bv, split into heads          [B, N, T, D]
 *   a = softmax(q·kᵀ / √D + (1 − mask)·min_float) · v, heads joined            [B, T, H]
 *   x = LayerNorm(x + a·Woᵀ + bo)
 *   x = LayerNorm(x + gelu(x·W1ᵀ + b1)·W2ᵀ + b2),  gelu(u) = u·(1 + erf(u/√2))/2    (F inside)
 * </pre>
 * SameDiff's {@code gelu} is the sigmoid approximation and its {@code layerNorm} takes no epsilon,
 * so both are composed from primitive ops here (see ND4J-NOTES.md).
 */
public final class BertEncoder implements Encoder {
    public static final String INPUT_IDS = "input_ids", ATTENTION_MASK = "attention_mask",
            TOKEN_TYPE_IDS = "token_type_ids", POSITION_IDS = "position_ids", OUTPUT = "last_hidden_state";

    private final BertConfig config;
    private final SameDiff sd;

    private BertEncoder(BertConfig config, SameDiff sd) {
        this.config = config;
        this.sd = sd;
    }

    public BertConfig config() {
        return config;
    }

    /** Reads every weight BertModel needs from {@code weights}, checking names and shapes. */
    public static BertEncoder load(BertConfig config, TensorSource weights, Path source) throws IOException {
        return fromWeights(config, readWeights(config, weights, source));
    }

    /** BertModel's weights by Hugging Face name, checked for presence and shape. */
    public static Map<String, INDArray> readWeights(BertConfig config, TensorSource weights, Path source) throws IOException {
        return dev.embedtune.model.EncoderWeights.read(config, weights, source);
    }

    /** Builds the graph from weights already in memory, keyed by Hugging Face names. */
    public static BertEncoder fromWeights(BertConfig config, Map<String, INDArray> weights) {
        return fromWeights(config, weights, null);
    }

    /**
     * The graph with LoRA adapters kept separate (not merged): each adapted linear computes
     * {@code x·Wᵀ + b + scale · (x·Aᵀ)·Bᵀ}; the adapter's trained base tensors (biases, LayerNorms) are used.
     *
     * @param lora adapters by module path, or null for none
     */
    public static BertEncoder fromWeights(BertConfig config, Map<String, INDArray> weights, LoraModel lora) {
        if (lora != null && !lora.baseTensors().isEmpty()) {
            weights = new java.util.HashMap<>(weights);
            weights.putAll(lora.baseTensors());     // trained biases and LayerNorms replace the base values
        }
        SameDiff sd = SameDiff.create();
        int h = config.hiddenSize(), n = config.numAttentionHeads(), d = config.headDim();
        SDVariable ids = sd.placeHolder(INPUT_IDS, DataType.INT, -1, -1);
        SDVariable mask = sd.placeHolder(ATTENTION_MASK, DataType.FLOAT, -1, -1);
        SDVariable types = sd.placeHolder(TOKEN_TYPE_IDS, DataType.INT, -1, -1);
        SDVariable positions = sd.placeHolder(POSITION_IDS, DataType.INT, -1);
        Graph g = new Graph(sd, weights, config.layerNormEps(), lora);

        SDVariable x = sd.gather(g.w("embeddings.word_embeddings.weight"), ids, 0)
                .add(sd.gather(g.w("embeddings.position_embeddings.weight"), positions, 0))
                .add(sd.gather(g.w("embeddings.token_type_embeddings.weight"), types, 0));
        x = g.layerNorm(x, "embeddings.LayerNorm");

        // Padding as an additive mask [B, 1, 1, T]: 0 where attended, the most negative float where not
        // (as the ONNX export does), so padded keys get exactly zero probability.
        SDVariable additive = sd.constant(1f).sub(mask).mul(-Float.MAX_VALUE);
        additive = sd.expandDims(sd.expandDims(additive, 1), 1);
        SDVariable bt = sd.slice(sd.shape(ids).castTo(DataType.LONG), new int[] {0}, 2);          // [B, T]
        SDVariable headsShape = sd.concat(0, bt, sd.constant(Nd4j.createFromArray((long) n, (long) d)));
        SDVariable hiddenShape = sd.concat(0, bt, sd.constant(Nd4j.createFromArray((long) h)));
        SDVariable scale = sd.constant((float) (1.0 / Math.sqrt(d)));

        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            SDVariable q = sd.permute(sd.reshape(g.linear(x, p + "attention.self.query"), headsShape), 0, 2, 1, 3);
            SDVariable k = sd.permute(sd.reshape(g.linear(x, p + "attention.self.key"), headsShape), 0, 2, 1, 3);
            SDVariable v = sd.permute(sd.reshape(g.linear(x, p + "attention.self.value"), headsShape), 0, 2, 1, 3);
            SDVariable scores = sd.mmul(q, k, false, true, false).mul(scale).add(additive);     // [B, N, T, T]
            SDVariable probs = sd.nn().softmax(scores, -1);
            SDVariable context = sd.reshape(sd.permute(sd.mmul(probs, v), 0, 2, 1, 3), hiddenShape);
            x = g.layerNorm(x.add(g.linear(context, p + "attention.output.dense")), p + "attention.output.LayerNorm");
            SDVariable inner = g.gelu(g.linear(x, p + "intermediate.dense"));
            x = g.layerNorm(x.add(g.linear(inner, p + "output.dense")), p + "output.LayerNorm");
        }
        x.rename(OUTPUT);
        return new BertEncoder(config, sd);
    }

    /**
     * Runs the encoder.
     *
     * @param inputIds      [B, T] token ids
     * @param attentionMask [B, T] 1 for tokens, 0 for padding
     * @param tokenTypeIds  [B, T] segment ids
     * @return last_hidden_state [B, T, H], float32
     */
    @Override
    public INDArray forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds) {
        int t = inputIds.length == 0 ? 0 : inputIds[0].length;
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        GatherIndices.requireInRange(inputIds, config.vocabSize());
        GatherIndices.requireInRange(tokenTypeIds, config.typeVocabSize());
        int[] positions = new int[t];
        Arrays.setAll(positions, i -> i);
        Map<String, INDArray> in = new HashMap<>();
        in.put(INPUT_IDS, Nd4j.createFromArray(inputIds));
        in.put(ATTENTION_MASK, Nd4j.createFromArray(inputIds.length == 0 ? new float[0][0] : toFloat(attentionMask)));
        in.put(TOKEN_TYPE_IDS, Nd4j.createFromArray(tokenTypeIds));
        in.put(POSITION_IDS, Nd4j.createFromArray(positions));
        synchronized (sd) {   // a SameDiff instance is not safe for concurrent output() calls
            return sd.output(in, OUTPUT).get(OUTPUT);
        }
    }

    private static float[][] toFloat(int[][] m) {
        float[][] out = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = new float[m[i].length];
            for (int j = 0; j < m[i].length; j++) {
                out[i][j] = m[i][j];
            }
        }
        return out;
    }

    /** The graph's building blocks, reading weights by name. */
    private record Graph(SameDiff sd, Map<String, INDArray> weights, double eps, LoraModel lora) {
        SDVariable w(String name) {
            return sd.constant(name, weights.get(name));
        }

        /** x · Wᵀ + b with nn.Linear's [out, in] weight, over the last axis of x. */
        SDVariable linear(SDVariable x, String module) {
            SDVariable weightT = sd.constant(module + ".weight.T", weights.get(module + ".weight").transpose().dup());
            SDVariable y = sd.tensorMmul(x, weightT, new int[] {2}, new int[] {0}).add(w(module + ".bias"));
            LoraAdapter adapter = lora == null ? null : lora.adapters().get(module);
            if (adapter == null) {
                return y;
            }
            SDVariable down = sd.tensorMmul(x, sd.constant(adapter.a().transpose().dup()), new int[] {2}, new int[] {0});
            SDVariable up = sd.tensorMmul(down, sd.constant(adapter.b().transpose().dup()), new int[] {2}, new int[] {0});
            return y.add(up.mul(lora.config().scale()));
        }

        /** LayerNorm over the hidden axis (2 of [B, T, H]) with the config's epsilon. */
        SDVariable layerNorm(SDVariable x, String module) {
            return GraphBlocks.layerNorm(sd, x, w(module + ".weight"), w(module + ".bias"), eps, 2);
        }

        SDVariable gelu(SDVariable u) {
            return GraphBlocks.gelu(sd, u);
        }
    }
}
