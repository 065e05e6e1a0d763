package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Same inputs, same seeds, same machine and thread count: the same bits. Three train-mode steps
 * (dropout in the model and on the adapters, NF4 base) through BERT and ModernBERT, with a batch of
 * other lengths between them so that the activation arena is re-taken, give bit-identical hidden
 * states and gradients: twice in this JVM, and in a fresh JVM that never compiles with C2 (the
 * Vector API then runs its Java fallbacks), which is how a resumed run starts.
 */
class DeterminismTest {

    static final BertConfig BERT = new BertConfig(40, 64, 2, 4, 96, "gelu", 0.1, 0.1, 32, 2, 0.02, 1e-12, 0);

    /** Hidden states and gradients of three train-mode steps, as one float array. */
    static float[] run(String architecture) {
        return run(architecture, false, null);
    }

    /**
     * @param checkpointing with gradient checkpointing
     * @param passBytes receives the activation bytes of the pass of the main batch (may be null)
     */
    static float[] run(String architecture, boolean checkpointing, long[] passBytes) {
        ModelConfig config = architecture.equals("bert") ? BERT : TinyModernBert.CONFIG;
        Map<String, INDArray> weights = config instanceof BertConfig b ? TinyBert.weights(b, 3)
                : TinyModernBert.weights(TinyModernBert.CONFIG, 3);
        LoraModel base = config instanceof BertConfig b ? TinyBert.lora(b, 4, 5) : TinyModernBert.lora(TinyModernBert.CONFIG, 4, 5);
        LoraConfig dropping = new LoraConfig(base.config().r(), base.config().alpha(), 0.1, base.config().targetModules(),
                false);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>(base.adapters());
        LoraModel lora = new LoraModel(dropping, adapters);
        TrainingEncoder encoder = TrainingEncoder.create(config, weights, lora, BaseQuantization.parse("nf4"), DataType.FLOAT,
                true);
        encoder.setGradientCheckpointing(checkpointing);
        int[][][] a = config instanceof BertConfig ? TinyBert.batch(new int[] {20, 7, 13}, 20, 1)
                : TinyModernBert.batch(new int[] {20, 7, 13}, 20, 1);
        int[][][] other = config instanceof BertConfig ? TinyBert.batch(new int[] {31, 2}, 31, 2)
                : TinyModernBert.batch(new int[] {31, 2}, 31, 2);
        Nd4j.getRandom().setSeed(9);
        INDArray dHidden = Nd4j.randn(DataType.FLOAT, 3 * 20, config.hiddenSize());
        List<float[]> out = new ArrayList<>();
        TrainingEncoder.Pass pass = null, second = null;
        for (int step = 0; step < 3; step++) {
            encoder.zeroGradients();
            second = encoder.forward(other[0], other[1], other.length > 2 ? other[2] : null, second, TrainingEncoder.rowSeeds(100 + step, 0, 2));
            pass = encoder.forward(a[0], a[1], a.length > 2 ? a[2] : null, pass, TrainingEncoder.rowSeeds(step, 0, 3));
            out.add(pass.hidden().dup().data().asFloat());
            encoder.backward(pass, dHidden);
            encoder.gradients().values().forEach(g -> out.add(g.dup().data().asFloat()));
        }
        if (passBytes != null) {
            passBytes[0] = ((EncoderPass) pass).bytes();
        }
        int n = out.stream().mapToInt(f -> f.length).sum(), at = 0;
        float[] all = new float[n];
        for (float[] f : out) {
            System.arraycopy(f, 0, all, at, f.length);
            at += f.length;
        }
        return all;
    }

    /**
     * A pass re-used from a batch of another size and content gives the bits a fresh pass gives:
     * nothing of the earlier batch (its activations, left in the re-taken memory) reaches the result.
     */
    @Test
    void aReusedPassGivesWhatAFreshPassGives() {
        for (String architecture : List.of("bert", "modernbert")) {
            ModelConfig config = architecture.equals("bert") ? BERT : TinyModernBert.CONFIG;
            Map<String, INDArray> weights = config instanceof BertConfig b ? TinyBert.weights(b, 3)
                    : TinyModernBert.weights(TinyModernBert.CONFIG, 3);
            LoraModel lora = config instanceof BertConfig b ? TinyBert.lora(b, 4, 5) : TinyModernBert.lora(TinyModernBert.CONFIG, 4, 5);
            int[][][] a = config instanceof BertConfig ? TinyBert.batch(new int[] {20, 7, 13}, 20, 1)
                    : TinyModernBert.batch(new int[] {20, 7, 13}, 20, 1);
            int[][][] big = config instanceof BertConfig ? TinyBert.batch(new int[] {31, 31, 30, 29}, 31, 2)
                    : TinyModernBert.batch(new int[] {31, 31, 30, 29}, 31, 2);
            Nd4j.getRandom().setSeed(9);
            INDArray dHidden = Nd4j.randn(DataType.FLOAT, 3 * 20, config.hiddenSize());
            INDArray dBig = Nd4j.randn(DataType.FLOAT, 4 * 31, config.hiddenSize()).muli(100);
            float[][] results = new float[2][];
            for (int reused = 0; reused < 2; reused++) {
                TrainingEncoder encoder = TrainingEncoder.create(config, weights, lora, BaseQuantization.parse("nf4"),
                        DataType.FLOAT, true);
                TrainingEncoder.Pass pass = null;
                if (reused == 1) {
                    pass = encoder.forward(big[0], big[1], big.length > 2 ? big[2] : null, null,
                            TrainingEncoder.rowSeeds(77, 0, 4));
                    encoder.backward(pass, dBig);
                    encoder.zeroGradients();
                }
                pass = encoder.forward(a[0], a[1], a.length > 2 ? a[2] : null, pass, TrainingEncoder.rowSeeds(5, 0, 3));
                encoder.backward(pass, dHidden);
                List<float[]> out = new ArrayList<>();
                out.add(pass.hidden().dup().data().asFloat());
                encoder.gradients().values().forEach(g -> out.add(g.dup().data().asFloat()));
                int n = out.stream().mapToInt(f -> f.length).sum(), at = 0;
                results[reused] = new float[n];
                for (float[] f : out) {
                    System.arraycopy(f, 0, results[reused], at, f.length);
                    at += f.length;
                }
            }
            assertArrayEquals(results[0], results[1], architecture + ": fresh pass against a re-used one");
        }
    }

    @Test
    void twoRunsInOneJvmGiveTheSameBits() {
        for (String architecture : List.of("bert", "modernbert")) {
            float[] first = run(architecture), second = run(architecture);
            assertTrue(first.length > 10_000, "hidden states and every gradient are compared");
            assertArrayEquals(first, second, architecture);
        }
    }

    /**
     * Gradient checkpointing (each layer's input kept, the layer run again in the backward) gives
     * the same bits as keeping every activation, in less memory.
     */
    @Test
    void gradientCheckpointingGivesTheSameBitsInLessMemory() {
        for (String architecture : List.of("bert", "modernbert")) {
            long[] full = new long[1], checkpointed = new long[1];
            float[] plain = run(architecture, false, full), recomputed = run(architecture, true, checkpointed);
            assertArrayEquals(plain, recomputed, architecture);
            assertTrue(checkpointed[0] < full[0], architecture + ": " + checkpointed[0] + " bytes with checkpointing, "
                    + full[0] + " without");
        }
    }

    @Test
    void aFreshJvmWithoutC2GivesTheSameBits(@TempDir Path tmp) throws Exception {
        for (String architecture : List.of("bert", "modernbert")) {
            float[] here = run(architecture);
            Path file = tmp.resolve(architecture + ".bin");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-XX:TieredStopAtLevel=1", "-cp",
                    System.getProperty("java.class.path"), DeterminismTest.class.getName(), architecture, file.toString()));
            Process child = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve(architecture + ".log").toFile()).start();
            assertTrue(child.waitFor(10, TimeUnit.MINUTES), "the child JVM finishes");
            assertEquals(0, child.exitValue(), () -> readLog(tmp.resolve(architecture + ".log")));
            assertArrayEquals(here, read(file), architecture + ": C2-compiled here, C1 only in the child");
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The child: writes {@link #run}'s floats to the file. */
    public static void main(String[] args) throws IOException {
        float[] values = run(args[0]);
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[1])))) {
            out.writeInt(values.length);
            for (float v : values) {
                out.writeInt(Float.floatToRawIntBits(v));
            }
        }
    }

    private static float[] read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            float[] values = new float[in.readInt()];
            for (int i = 0; i < values.length; i++) {
                values[i] = Float.intBitsToFloat(in.readInt());
            }
            return values;
        }
    }
}
