package dev.embedtune.model.lora;

import java.util.List;

/**
 * A LoRA adapter's settings, as PEFT's {@code LoraConfig} (https://arxiv.org/abs/2106.09685):
 * each target linear computes {@code W x + scale · B A x} with A [r, in], B [out, r].
 *
 * @param r             rank
 * @param alpha         lora_alpha
 * @param dropout       lora_dropout (applied to x before A during training)
 * @param targetModules module names, PEFT-style: the last name ("query", "key", "value", "dense" for BERT;
 *                      "Wqkv", "Wo", "Wi" for ModernBERT), a full module path, or {@value #ALL_LINEAR}
 * @param useRslora     rank-stabilised scale alpha/√r instead of alpha/r (https://arxiv.org/abs/2312.03732)
 * @param bias          which biases train too ({@link LoraBias}; PEFT's {@code bias})
 * @param modulesToSave modules trained in full and saved with the adapter (PEFT's {@code modules_to_save});
 *                      LayerNorm modules only here, matched as PEFT does: the module name or its last part(s),
 *                      e.g. "LayerNorm" for all of them, "embeddings.LayerNorm" for one
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, boolean useRslora,
        LoraBias bias, List<String> modulesToSave) {

    public static final List<String> BERT_DEFAULT_TARGETS = List.of("query", "key", "value", "dense");
    public static final List<String> MODERNBERT_DEFAULT_TARGETS = List.of("Wqkv", "Wo", "Wi");
    /** PEFT's shorthand for every linear layer of the encoder (BERT: query, key, value, dense; ModernBERT: Wqkv, Wo, Wi). */
    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("LoRA rank r must be >= 1, got " + r);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora_alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules.isEmpty()) {
            throw new IllegalArgumentException("target_modules is empty");
        }
        targetModules = List.copyOf(targetModules);
        bias = bias == null ? LoraBias.NONE : bias;
        modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
    }

    /** No bias and no module trains beside the adapters. */
    public LoraConfig(int r, double alpha, double dropout, List<String> targetModules, boolean useRslora) {
        this(r, alpha, dropout, targetModules, useRslora, LoraBias.NONE, List.of());
    }

    public LoraConfig withBias(LoraBias v) {
        return new LoraConfig(r, alpha, dropout, targetModules, useRslora, v, modulesToSave);
    }

    public LoraConfig withModulesToSave(List<String> v) {
        return new LoraConfig(r, alpha, dropout, targetModules, useRslora, bias, v);
    }

    public LoraConfig withDropout(double v) {
        return new LoraConfig(r, alpha, v, targetModules, useRslora, bias, modulesToSave);
    }

    /** alpha / r, or alpha / √r with rsLoRA. */
    public double scale() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    /**
     * Whether a linear module path (e.g. encoder.layer.0.attention.output.dense) is a target: PEFT matches
     * the last name or the whole path; {@value #ALL_LINEAR} matches every linear of the encoder.
     */
    public boolean targets(String modulePath) {
        String last = modulePath.substring(modulePath.lastIndexOf('.') + 1);
        return targetModules.contains(ALL_LINEAR) || targetModules.contains(last) || targetModules.contains(modulePath);
    }

    /** The same settings with other target modules. */
    public LoraConfig withTargets(List<String> targets) {
        return new LoraConfig(r, alpha, dropout, targets, useRslora, bias, modulesToSave);
    }

    /**
     * Whether a module path is in modules_to_save: PEFT's {@code key.endswith(target_key)}, so "LayerNorm"
     * matches every BERT LayerNorm and "norm" every ModernBERT norm (attn_norm, mlp_norm, final_norm, …).
     */
    public boolean saves(String modulePath) {
        return modulesToSave.stream().anyMatch(modulePath::endsWith);
    }
}
