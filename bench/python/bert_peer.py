#!/usr/bin/env python3
"""PyTorch peer of embedtune's benchmarks: a minimal BERT encoder in plain torch (no transformers).

The model is BertModel as Hugging Face defines it (https://github.com/huggingface/transformers,
models/bert/modeling_bert.py): word + position + token-type embeddings, LayerNorm, L post-LN layers
(self-attention, exact erf GELU feed-forward), then sentence-transformers' mean pooling and L2
normalisation. Weights are random (the peer measures speed, not quality) unless --weights names a
model.safetensors with Hugging Face BertModel keys.

Modes (one JSON line on stdout, everything else on stderr):
  inference   forward of B texts x T tokens under no_grad; random ids, a realistic padding mask
  train-step  LoRA (r 16, alpha 32) on every linear of every layer, base frozen; forward of B anchors
              + B positives x T tokens, MNRL loss (cross-entropy over cos-sim x 20), backward,
              AdamW (lr 2e-4, wd 0.01) on the LoRA parameters
  --self-test LoRA, GELU and MNRL against their definitions, and torch.autograd.gradcheck of the
              whole LoRA train-step loss in float64 on a tiny model

Shape key: B batch, T tokens, H hidden, nh heads, hs head size (H / nh), I intermediate, V vocab.

Example: python3 bench/python/bert_peer.py --mode inference --model minilm --batch 32 --tokens 128
"""
import argparse
import json
import math
import os
import platform
import resource
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "embedtune-peer/1"

# name -> (V, H, nh, I, L, max positions); all-MiniLM-L6-v2 and bge-base-en-v1.5 shapes
SHAPES = {
    "minilm": dict(vocab=30522, hidden=384, heads=12, intermediate=1536, layers=6, max_pos=512),
    "bge-base": dict(vocab=30522, hidden=768, heads=12, intermediate=3072, layers=12, max_pos=512),
}


class LoRALinear(nn.Module):
    """y = x W^T + b + (alpha / r) (x A^T) B^T, with W and b frozen (LoRA, arXiv:2106.09685).

    A starts Kaiming-uniform and B at zero, as PEFT does, so the adapted model starts equal to the base.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.base.weight.requires_grad_(False)
        self.base.bias.requires_grad_(False)
        self.scale = alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))   # [r, in]
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))  # [out, r]
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scale


class Layer(nn.Module):
    """One post-LN BERT layer: x = LN(x + Attn(x)); x = LN(x + FFN(x))."""

    def __init__(self, H, nh, I, eps=1e-12):
        super().__init__()
        self.nh = nh
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.attention_output = nn.Linear(H, H)
        self.attention_norm = nn.LayerNorm(H, eps=eps)
        self.intermediate = nn.Linear(H, I)
        self.output = nn.Linear(I, H)
        self.output_norm = nn.LayerNorm(H, eps=eps)

    def forward(self, x, bias):
        # x [B, T, H]; bias [B, 1, 1, T] (0 for real tokens, large negative for padding)
        B, T, H = x.shape
        hs = H // self.nh

        def heads(t):  # [B, T, H] -> [B, nh, T, hs]
            return t.view(B, T, self.nh, hs).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs) + bias  # [B, nh, T, T]
        att = att.softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, H)  # [B, T, H]
        x = self.attention_norm(x + self.attention_output(y))
        h = F.gelu(self.intermediate(x))  # exact erf GELU (approximate='none' is the default)
        return self.output_norm(x + self.output(h))


class Bert(nn.Module):
    """Embeddings, L layers, mean pooling over real tokens, L2 normalisation."""

    def __init__(self, vocab, hidden, heads, intermediate, layers, max_pos, eps=1e-12):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_pos, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(Layer(hidden, heads, intermediate, eps) for _ in range(layers))
        for m in self.modules():  # BERT's init: N(0, 0.02) weights, zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids, mask):
        # ids, mask [B, T] (int64; mask 1 = real token)
        B, T = ids.shape
        pos = torch.arange(T, device=ids.device)
        x = self.norm(self.word(ids) + self.position(pos)[None] + self.token_type.weight[0])  # [B, T, H]
        # The additive mask uses the dtype's minimum, as transformers does, so exp() underflows to 0
        # instead of producing NaN from -inf - -inf in a fully masked row.
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min  # [B, 1, 1, T]
        for layer in self.layers:
            x = layer(x, bias)
        m = mask[:, :, None].to(x.dtype)  # [B, T, 1]
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)  # [B, H]
        return F.normalize(pooled, p=2, dim=-1)


LINEARS = ("query", "key", "value", "attention_output", "intermediate", "output")


def add_lora(model: Bert, r=16, alpha=32):
    """Freezes the base and wraps every linear of every layer in LoRA; returns the LoRA parameters."""
    for p in model.parameters():
        p.requires_grad_(False)
    for layer in model.layers:
        for name in LINEARS:
            setattr(layer, name, LoRALinear(getattr(layer, name), r, alpha))
    return [p for n, p in model.named_parameters() if "lora_" in n]


def mnrl_loss(anchors, positives, scale=20.0):
    """MultipleNegativesRankingLoss: CE over cos-sim x scale; positive i is anchor i's label.

    anchors, positives [B, H], already L2-normalised, so the dot product is the cosine.
    """
    scores = anchors @ positives.t() * scale  # [B, B]
    return F.cross_entropy(scores, torch.arange(anchors.shape[0], device=anchors.device))


# Hugging Face BertModel key -> our parameter name, for --weights.
def hf_key_map(layers):
    m = {
        "embeddings.word_embeddings.weight": "word.weight",
        "embeddings.position_embeddings.weight": "position.weight",
        "embeddings.token_type_embeddings.weight": "token_type.weight",
        "embeddings.LayerNorm.weight": "norm.weight",
        "embeddings.LayerNorm.bias": "norm.bias",
    }
    parts = {
        "attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
        "attention.output.dense": "attention_output", "attention.output.LayerNorm": "attention_norm",
        "intermediate.dense": "intermediate", "output.dense": "output", "output.LayerNorm": "output_norm",
    }
    for i in range(layers):
        for hf, ours in parts.items():
            for wb in ("weight", "bias"):
                m[f"encoder.layer.{i}.{hf}.{wb}"] = f"layers.{i}.{ours}.{wb}"
    return m


def load_safetensors(path):
    """Reads a safetensors file (8-byte little-endian header length, JSON header, raw data)."""
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if info["dtype"] not in dtypes:
            raise ValueError(f"{path}: tensor {key} has dtype {info['dtype']}, expected one of {list(dtypes)}")
        start, end = info["data_offsets"]
        out[key] = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return out


def load_weights(model, layers, path):
    tensors = load_safetensors(path)
    params = dict(model.named_parameters())
    for hf, ours in hf_key_map(layers).items():
        t = tensors.get(hf, tensors.get("bert." + hf))
        if t is None:
            raise KeyError(f"{path}: missing tensor {hf}; hint: is this a BertModel with {layers} layers?")
        if tuple(t.shape) != tuple(params[ours].shape):
            raise ValueError(f"{path}: {hf} has shape {tuple(t.shape)}, expected {tuple(params[ours].shape)}")
        with torch.no_grad():
            params[ours].copy_(t.float())


def random_batch(gen, B, T, vocab):
    """Random ids with [CLS] ... [SEP] and a padding mask: the first text is full length, the others
    uniform in [T/4, T] tokens, as a length-sorted batch of real texts padded to its longest is."""
    ids = torch.randint(min(1000, vocab // 2), vocab, (B, T), generator=gen)  # past the special tokens
    lengths = torch.randint(max(2, T // 4), T + 1, (B,), generator=gen)
    lengths[0] = T
    mask = (torch.arange(T)[None, :] < lengths[:, None]).long()  # [B, T]
    cls, sep = (101, 102) if vocab > 1000 else (1, 2)  # BERT's [CLS] and [SEP]; 1, 2 in a toy vocab
    ids[:, 0] = cls
    ids[torch.arange(B), lengths - 1] = sep
    ids = ids * mask  # [PAD] = 0
    return ids, mask


def blas_library():
    """The BLAS library this process loaded: Debian's torch links libblas.so.3, which is the slow
    reference BLAS unless an optimised one (libopenblas0-pthread) is installed, so say which."""
    torch.randn(64, 64) @ torch.randn(64, 64)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1] or "mkl" in line}
        return sorted(os.path.realpath(p) for p in paths if p.startswith("/")) or ["unknown"]
    except OSError:
        return ["unknown"]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def measure(step, warmup, iterations):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def run(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    shape = SHAPES[args.model]
    if args.tokens > shape["max_pos"]:
        raise SystemExit(f"--tokens {args.tokens} exceeds the model's {shape['max_pos']} positions")
    model = Bert(**shape)
    if args.weights:
        load_weights(model, shape["layers"], args.weights)
    gen = torch.Generator().manual_seed(args.seed)
    B, T = args.batch, args.tokens
    if args.mode == "inference":
        model.eval()
        ids, mask = random_batch(gen, B, T, shape["vocab"])

        def step():
            with torch.no_grad():
                model(ids, mask)

        items, item = B, "text"
    else:
        lora = add_lora(model, r=args.lora_r, alpha=args.lora_alpha)
        model.train()
        # Dropout is left out (the peer compares compute), so train() changes nothing here.
        opt = torch.optim.AdamW(lora, lr=2e-4, weight_decay=0.01)
        a_ids, a_mask = random_batch(gen, B, T, shape["vocab"])
        p_ids, p_mask = random_batch(gen, B, T, shape["vocab"])
        ids, mask = torch.cat([a_ids, p_ids]), torch.cat([a_mask, p_mask])  # [2B, T]: one forward

        def step():
            opt.zero_grad(set_to_none=True)
            emb = model(ids, mask)  # [2B, H]
            loss = mnrl_loss(emb[:B], emb[B:])
            loss.backward()
            opt.step()

        items, item = 1, "step"
    times = measure(step, args.warmup, args.iterations)
    median = statistics.median(times)
    return {
        "format": FORMAT,
        "peer": "pytorch",
        "mode": args.mode,
        "model": args.model,
        "shape": dict(shape, batch=B, tokens=T,
                      **({"lora_r": args.lora_r, "lora_alpha": args.lora_alpha} if args.mode == "train-step" else {})),
        "weights": args.weights or "random",
        "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "warmup": args.warmup,
        "iteration_seconds": times,
        "median_seconds": median,
        "item": item,
        "items_per_iteration": items,
        "items_per_second": items / median,
        "peak_rss_mb": peak_rss_mb(),
    }


def self_test():
    """Checks the maths the train-step mode times; exits non-zero on the first failure."""
    torch.manual_seed(0)
    failures = []

    def check(name, diff, tol):
        ok = diff <= tol
        print(f"{'ok  ' if ok else 'FAIL'} {name}: max abs diff {diff:.3e} (tolerance {tol:.0e})", file=sys.stderr)
        if not ok:
            failures.append(name)

    # LoRA equals the merged weight W + (alpha / r) B A.
    base = nn.Linear(24, 40).double()
    lora = LoRALinear(base, r=16, alpha=32).double()
    nn.init.normal_(lora.lora_B)
    x = torch.randn(3, 5, 24, dtype=torch.float64)
    merged = F.linear(x, base.weight + 2.0 * lora.lora_B @ lora.lora_A, base.bias)
    check("LoRA r=16 alpha=32 vs merged weight", (lora(x) - merged).abs().max().item(), 1e-12)

    # Exact GELU: x Phi(x) with the error function.
    z = torch.linspace(-6, 6, 1001, dtype=torch.float64)
    check("GELU vs 0.5 x (1 + erf(x / sqrt 2))",
          (F.gelu(z) - 0.5 * z * (1 + torch.erf(z / math.sqrt(2)))).abs().max().item(), 1e-15)

    # MNRL against its formula: mean over i of -log softmax(20 cos(a_i, p_j))_j at j = i.
    a = F.normalize(torch.randn(6, 10, dtype=torch.float64), dim=-1)
    p = F.normalize(torch.randn(6, 10, dtype=torch.float64), dim=-1)
    by_hand = 0.0
    for i in range(6):
        row = [20.0 * float(a[i] @ p[j]) for j in range(6)]
        m = max(row)
        by_hand += -(row[i] - m - math.log(sum(math.exp(s - m) for s in row)))
    check("MNRL vs its formula", abs(mnrl_loss(a, p).item() - by_hand / 6), 1e-12)

    # The whole train-step loss: analytic LoRA gradients against finite differences, in float64.
    tiny = dict(vocab=50, hidden=8, heads=2, intermediate=16, layers=2, max_pos=16)
    model = Bert(**tiny)
    add_lora(model, r=2, alpha=4)
    model.double()
    lora_params = [p for n, p in model.named_parameters() if "lora_" in n]
    names = [n for n, _ in model.named_parameters() if "lora_" in n]
    with torch.no_grad():
        for prm in lora_params:  # B starts at zero; give every parameter a non-zero gradient path
            prm.normal_(std=0.5)
    gen = torch.Generator().manual_seed(1)
    ids, mask = random_batch(gen, 6, 7, tiny["vocab"])  # 3 anchors + 3 positives, 7 tokens, padded

    def loss_of(*values):
        emb = torch.nn.utils.stateless.functional_call(model, dict(zip(names, values)), (ids, mask))
        return mnrl_loss(emb[:3], emb[3:])

    inputs = tuple(prm.detach().clone().requires_grad_(True) for prm in lora_params)
    ok = torch.autograd.gradcheck(loss_of, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, raise_exception=False)
    print(f"{'ok  ' if ok else 'FAIL'} gradcheck of the LoRA + MNRL loss over {len(inputs)} LoRA tensors "
          f"({sum(t.numel() for t in inputs)} values), float64", file=sys.stderr)
    if not ok:
        failures.append("gradcheck")

    # Padding must not change a text's embedding.
    model.eval()
    with torch.no_grad():
        short = model(ids[:1, :4] * mask[:1, :4], torch.ones(1, 4, dtype=torch.long))
        padded_ids = torch.cat([ids[:1, :4], torch.zeros(1, 3, dtype=torch.long)], 1)
        padded = model(padded_ids, torch.tensor([[1, 1, 1, 1, 0, 0, 0]]))
    check("embedding with and without padding", (short - padded).abs().max().item(), 1e-12)

    print(json.dumps({"format": FORMAT, "peer": "pytorch", "mode": "self-test",
                      "passed": not failures, "failures": failures, "torch": torch.__version__}))
    return 0 if not failures else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["inference", "train-step"], default="inference")
    ap.add_argument("--model", choices=sorted(SHAPES), default="minilm",
                    help="minilm: all-MiniLM-L6-v2 shapes; bge-base: bge-base-en-v1.5 shapes")
    ap.add_argument("--weights", help="a model.safetensors with Hugging Face BertModel keys (default: random)")
    ap.add_argument("--batch", type=int, default=32, help="texts (inference) or anchor/positive pairs (train-step)")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--lora-r", type=int, default=16)
    ap.add_argument("--lora-alpha", type=float, default=32)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--self-test", action="store_true", help="check LoRA, GELU, MNRL and gradients, then exit")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    for name in ("batch", "tokens", "threads", "iterations"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.warmup < 0:
        ap.error(f"--warmup must be at least 0, got {args.warmup}")
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
