package dev.embedtune.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NativeRuntimeTest {

    /**
     * On a CPU with AVX-512, OpenBLAS computes with an AVX-512 core after configure() (unless the
     * user chose one), and its SGEMM still equals a double-precision product: relative error of each
     * entry ≤ 1e-5 of the row's absolute sum (float32 accumulation over K = 384).
     */
    @Test
    void selectsAvx512KernelsWhereTheCpuHasThemAndGemmStaysCorrect() throws Exception {
        NativeRuntime.configure();
        Random random = new Random(3);
        int m = 64, k = 384, n = 96;
        float[][] a = new float[m][k], b = new float[k][n];
        for (float[] row : a) for (int j = 0; j < k; j++) row[j] = (float) random.nextGaussian();
        for (float[] row : b) for (int j = 0; j < n; j++) row[j] = (float) random.nextGaussian();
        INDArray c = Nd4j.gemm(Nd4j.createFromArray(a), Nd4j.createFromArray(b), false, false);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0, scale = 0;
                for (int t = 0; t < k; t++) {
                    exact += (double) a[i][t] * b[t][j];
                    scale += Math.abs((double) a[i][t] * b[t][j]);
                }
                assertEquals(exact, c.getDouble(i, j), 1e-5 * scale, "C[" + i + "," + j + "]");
            }
        }
        assertEquals(DataType.FLOAT, c.dataType());
        String core = NativeRuntime.blasCore();
        String flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                .findFirst().orElse("");
        boolean avx512 = flags.contains(" avx512f") && flags.contains(" avx512bw") && flags.contains(" avx512dq")
                && flags.contains(" avx512vl") && flags.contains(" avx512cd");
        if (avx512 && System.getenv("OPENBLAS_CORETYPE") == null && System.getProperty("embedtune.openblas.coretype") == null) {
            String lower = String.valueOf(core).toLowerCase(Locale.ROOT);
            assertTrue(lower.contains("skylakex") || lower.contains("cooperlake") || lower.contains("sapphirerapids"),
                    "OpenBLAS core on an AVX-512 CPU: " + core);
        }
    }
}
