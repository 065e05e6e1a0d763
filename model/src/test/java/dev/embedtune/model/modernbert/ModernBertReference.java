package dev.embedtune.model.modernbert;

import java.util.Map;

/**
 * ModernBERT's forward written straight from the architecture's description, in double precision
 * with plain loops: no ND4J and nothing shared with {@link ModernBertEncoder}. Weights come as
 * row-major double arrays under Hugging Face names; configs have no biases (ModernBERT-base).
 */
final class ModernBertReference {
    private final Map<String, double[]> w;
    private final int h, n, d, f, layers, every, window;
    private final double eps, thetaGlobal, thetaLocal;

    ModernBertReference(Map<String, double[]> w, int hidden, int heads, int intermediate, int layers,
            int globalEvery, int localAttention, double eps, double thetaGlobal, double thetaLocal) {
        this.w = w;
        this.h = hidden;
        this.n = heads;
        this.d = hidden / heads;
        this.f = intermediate;
        this.layers = layers;
        this.every = globalEvery;
        this.window = localAttention;
        this.eps = eps;
        this.thetaGlobal = thetaGlobal;
        this.thetaLocal = thetaLocal;
    }

    /** One sequence: ids [T] with mask [T] → hidden [T][H]. */
    double[][] forward(int[] ids, int[] mask) {
        int t = ids.length;
        double[][] x = new double[t][];
        double[] emb = w.get("embeddings.tok_embeddings.weight");
        for (int i = 0; i < t; i++) {
            double[] row = new double[h];
            System.arraycopy(emb, ids[i] * h, row, 0, h);
            x[i] = layerNorm(row, w.get("embeddings.norm.weight"));
        }
        for (int l = 0; l < layers; l++) {
            String p = "layers." + l + ".";
            boolean global = l % every == 0;
            double[][] a = new double[t][];
            for (int i = 0; i < t; i++) {
                a[i] = l == 0 ? x[i] : layerNorm(x[i], w.get(p + "attn_norm.weight"));
            }
            double[] wqkv = w.get(p + "attn.Wqkv.weight");   // [3H, H]
            double[][] q = new double[t][], k = new double[t][], v = new double[t][];
            for (int i = 0; i < t; i++) {
                double[] qkv = matVec(wqkv, 3 * h, h, a[i]);
                q[i] = java.util.Arrays.copyOfRange(qkv, 0, h);
                k[i] = java.util.Arrays.copyOfRange(qkv, h, 2 * h);
                v[i] = java.util.Arrays.copyOfRange(qkv, 2 * h, 3 * h);
                rope(q[i], i, global ? thetaGlobal : thetaLocal);
                rope(k[i], i, global ? thetaGlobal : thetaLocal);
            }
            double[][] context = new double[t][h];
            for (int head = 0; head < n; head++) {
                for (int i = 0; i < t; i++) {
                    double[] scores = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        boolean visible = mask[j] == 1 && (global || Math.abs(i - j) <= window / 2);
                        if (!visible) {
                            scores[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = 0;
                        for (int c = 0; c < d; c++) {
                            s += q[i][head * d + c] * k[j][head * d + c];
                        }
                        scores[j] = s / Math.sqrt(d);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        scores[j] = scores[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j < t; j++) {
                        if (scores[j] == 0) {
                            continue;   // a hidden key (or an underflowed weight): adds nothing
                        }
                        for (int c = 0; c < d; c++) {
                            context[i][head * d + c] += scores[j] / sum * v[j][head * d + c];
                        }
                    }
                }
            }
            for (int i = 0; i < t; i++) {
                double[] out = matVec(w.get(p + "attn.Wo.weight"), h, h, context[i]);
                for (int c = 0; c < h; c++) {
                    x[i][c] += out[c];
                }
                double[] m = layerNorm(x[i], w.get(p + "mlp_norm.weight"));
                double[] wi = matVec(w.get(p + "mlp.Wi.weight"), 2 * f, h, m);
                double[] act = new double[f];
                for (int c = 0; c < f; c++) {
                    double u = wi[c];
                    act[c] = 0.5 * u * (1 + erf(u / Math.sqrt(2))) * wi[f + c];   // gelu(input) · gate
                }
                double[] mlp = matVec(w.get(p + "mlp.Wo.weight"), h, f, act);
                for (int c = 0; c < h; c++) {
                    x[i][c] += mlp[c];
                }
            }
        }
        for (int i = 0; i < t; i++) {
            x[i] = layerNorm(x[i], w.get("final_norm.weight"));
        }
        return x;
    }

    /** Rotate-half RoPE on each head: pairs (c, c + D/2) rotated by pos · θ^(−2c/D). */
    private void rope(double[] x, int pos, double theta) {
        for (int head = 0; head < n; head++) {
            int o = head * d;
            for (int c = 0; c < d / 2; c++) {
                double angle = pos * Math.pow(theta, -2.0 * c / d);
                double x1 = x[o + c], x2 = x[o + c + d / 2];
                x[o + c] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
                x[o + c + d / 2] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
            }
        }
    }

    private double[] layerNorm(double[] x, double[] gamma) {
        double mean = 0, var = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(var + eps) * gamma[i];
        }
        return out;
    }

    /** W [rows, cols] row-major times x [cols]. */
    private static double[] matVec(double[] wgt, int rows, int cols, double[] x) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += wgt[r * cols + c] * x[c];
            }
            out[r] = s;
        }
        return out;
    }

    /** erf by the Abramowitz–Stegun 7.1.26-free route: a series / continued fraction accurate to ~1e-15. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double result;
        if (ax < 2.5) {   // Maclaurin series
            double term = ax, sum = ax, x2 = ax * ax;
            for (int k = 1; k < 200; k++) {
                term *= -x2 / k;
                double add = term / (2 * k + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) {
                    break;
                }
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else {          // continued fraction for erfc
            double fr = 0;
            for (int k = 60; k >= 1; k--) {
                fr = k / 2.0 / (ax + fr);
            }
            result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + fr);
        }
        return x < 0 ? -result : result;
    }
}
