#!/usr/bin/env python3
"""The real peers of embedtune's benchmarks: sentence-transformers (+ PEFT) on current PyTorch, and ONNX Runtime.

Unlike bert_peer.py (a plain-torch BERT kept as the fallback peer), this runs what users run: the
model directory embedtune imported (a sentence-transformers directory) loaded by SentenceTransformer,
LoRA added by PEFT through model.add_adapter(LoraConfig), sentence-transformers' own loss classes,
torch.optim.AdamW, SentenceTransformer.encode, SentenceTransformerTrainer.train(), and onnxruntime's
InferenceSession. Offline: HF_HUB_OFFLINE=1 is set before anything is imported.

Modes (one JSON line on stdout, format embedtune-peer/1; everything else on stderr):
  train-step     --batch B --tokens T: B anchors + B positives x T random token ids (no padding), MNRL
                 (scale 20) inside MatryoshkaLoss [384, 256, 128, 64] (--loss mnrl for MNRL alone),
                 backward, AdamW (lr 2e-4, wd 0.01) on the LoRA parameters (r 16, alpha 32, query, key,
                 value, dense). --train-mode: model.train() with the model's dropout and LoRA dropout
                 0.1; else model.eval() (no dropout). One item = one step.
  trainer        the same step run by SentenceTransformerTrainer.train() on texts that tokenise to
                 exactly T tokens, in train mode (as users run it); items/s from its own
                 train_samples_per_second / B, and per-step times from a callback.
  train-batches  --batches FILE: real batches (JSON {"batches": [[anchors], [positives], [negatives]], ...})
                 as embedtune's main job builds them, tokenised by the model's tokenizer at
                 --max-seq-length (128), padded per column as ST's collator does, train mode. One item = one
                 step; real_tokens_per_second counts unpadded tokens.
  encode-batch   B texts x T tokens: "loop" = model(features) under inference_mode on pre-tokenised ids,
                 and model.encode(texts) timed plainly (the second figure, in "figures"). One item = one text.
  encode-corpus  --texts FILE (JSONL with "passage", distinct passages in file order): model.encode(all,
                 batch_size=32) at --max-seq-length (256); ST sorts by length itself. One item = one text.
  ort-batch      onnxruntime on --onnx FILE, B x T random ids, graph optimisation ALL, intra-op threads =
                 --threads. One item = one text.
  ort-corpus     onnxruntime on every passage of --texts, sorted and batched as ST does (longest first by
                 characters, 32 a batch), tokenised by tokenizer.json at --max-seq-length, padded per batch.
  env            what this torch runs on (MKL, oneDNN, threads, CPU capability) and sgemm GFLOP/s at the
                 training step's shapes.
  --self-test    the features this script feeds (random ids and the exact-T texts) against the model's
                 tokenizer, and the LoRA layer count.

Example: HF_HUB_OFFLINE=1 python3 bench/python/st_peer.py --mode train-step --model-dir ~/.cache/embedtune/models/all-minilm-l6-v2
"""
import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

FORMAT = "embedtune-peer/1"
MATRYOSHKA_DIMS = [384, 256, 128, 64]
LORA_TARGETS = ["query", "key", "value", "dense"]
# The environment variables that change how torch, MKL, oneDNN and OpenMP run: recorded with every figure.
ENV_KEYS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE",
            "KMP_AFFINITY", "KMP_BLOCKTIME", "OMP_PROC_BIND", "OMP_PLACES", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA",
            "ONEDNN_DEFAULT_FPMATH_MODE", "TORCH_MKLDNN_MATMUL_MIN_DIM", "MKL_CBWR", "LD_PRELOAD")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(step, warmup, iterations):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def loaded_libraries(patterns=("mkl", "blas", "dnnl", "gomp", "iomp", "onnxruntime")):
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if any(p in line.rsplit("/", 1)[-1] for p in patterns)}
        return sorted(os.path.basename(p) for p in paths if p.startswith("/"))
    except OSError:
        return []


def runtime_info(torch=None):
    """Versions and settings of what ran (all strings): the result file names each peer by them."""
    info = {"python": platform.python_version()}
    env = {k: os.environ[k] for k in ENV_KEYS if k in os.environ}
    info["env"] = " ".join(f"{k}={v}" for k, v in sorted(env.items())) or "(none set)"
    if torch is not None:
        info["torch"] = torch.__version__
        info["threads"] = str(torch.get_num_threads())
        info["torch_blas"] = "MKL" if torch.backends.mkl.is_available() else "not MKL"
        info["mkldnn"] = f"available={torch.backends.mkldnn.is_available()} enabled={torch.backends.mkldnn.enabled}"
        try:
            info["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        except Exception:  # noqa: BLE001 - older torch
            pass
        cfg = torch.__config__.show()
        for line in cfg.splitlines():
            line = line.strip()
            if "Math Kernel Library Version" in line:
                info["mkl"] = line.split("Version", 1)[1].strip().split("-")[0]
            if line.startswith("- Intel(R) MKL-DNN") or "oneDNN" in line:
                info["onednn"] = line.lstrip("- ").split("(Git")[0].strip()
    for mod in ("sentence_transformers", "transformers", "peft", "onnxruntime", "tokenizers"):
        m = sys.modules.get(mod)
        if m is not None:
            info[mod.replace("_", "-")] = getattr(m, "__version__", "?")
    info["libraries"] = ", ".join(loaded_libraries())
    return info


def result(args, mode, times, items, item, runtime, figures=None, notes=""):
    median = statistics.median(times)
    return {
        "format": FORMAT,
        "peer": "onnxruntime" if mode.startswith("ort") else "sentence-transformers",
        "mode": mode,
        "note": notes,
        "python": platform.python_version(),
        "torch": runtime.get("torch", ""),
        "threads": args.threads,
        "blas": [runtime.get("libraries", "")],
        "weights": args.model_dir or args.onnx or "",
        "runtime": runtime,
        "warmup": args.warmup,
        "iteration_seconds": times,
        "median_seconds": median,
        "item": item,
        "items_per_iteration": items,
        "items_per_second": items / median,
        "figures": figures or {},
        "peak_rss_mb": peak_rss_mb(),
    }


# ------------------------------------------------------------------ inputs

def random_ids(torch, gen, batch, tokens, vocab=30522):
    """[CLS] + random ids past the special tokens + [SEP], no padding: the JMH benchmarks' inputs."""
    ids = torch.randint(1000, vocab, (batch, tokens), generator=gen)
    ids[:, 0] = 101
    ids[:, -1] = 102
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)}


def exact_length_texts(tokenizer, rng, count, tokens):
    """Texts that tokenise to exactly `tokens` ids with [CLS] and [SEP]: tokens - 2 random whole words of the
    vocabulary (alphabetic, not ## pieces), separated by spaces. The trainer and encode() need texts."""
    vocab = tokenizer.get_vocab()
    words = sorted(w for w, i in vocab.items() if i >= 1000 and w.isalpha() and w.isascii() and w.islower())
    return [" ".join(rng.choice(words) for _ in range(tokens - 2)) for _ in range(count)]


def read_passages(path):
    seen, out = set(), []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                p = json.loads(line)["passage"]
                if p not in seen:
                    seen.add(p)
                    out.append(p)
    return out


# ------------------------------------------------------------------ sentence-transformers

def load_model(args, torch):
    from sentence_transformers import SentenceTransformer
    kwargs = {}
    if args.attn:
        kwargs["model_kwargs"] = {"attn_implementation": args.attn}
    model = SentenceTransformer(os.path.expanduser(args.model_dir), device="cpu", **kwargs)
    if args.max_seq_length:
        model.max_seq_length = args.max_seq_length
    return model


def transformer_of(model):
    return model[0].auto_model if hasattr(model[0], "auto_model") else model[0].model


def add_lora(model, dropout):
    from peft import LoraConfig
    model.add_adapter(LoraConfig(r=16, lora_alpha=32, lora_dropout=dropout, target_modules=LORA_TARGETS))
    return [p for p in model.parameters() if p.requires_grad]


def set_model_dropout(model, train_mode):
    """Eval mode has no dropout; train mode keeps the model's own (MiniLM: 0.1 hidden and attention)."""
    if train_mode:
        model.train()
    else:
        model.eval()


def lora_dropout_of(args):
    return args.lora_dropout if args.lora_dropout >= 0 else (0.1 if args.train_mode else 0.0)


def make_loss(model, which):
    from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss
    mnrl = MultipleNegativesRankingLoss(model)
    return mnrl if which == "mnrl" else MatryoshkaLoss(model, mnrl, MATRYOSHKA_DIMS)


def model_runtime(model, torch):
    info = runtime_info(torch)
    cfg = transformer_of(model).config
    info["attention"] = str(getattr(cfg, "_attn_implementation", "?"))
    info["model"] = os.path.basename(os.path.normpath(str(getattr(cfg, "_name_or_path", "")))) or "?"
    return info


def run_train_step(args, torch):
    model = load_model(args, torch)
    lora_dropout = lora_dropout_of(args)
    params = add_lora(model, lora_dropout)
    loss = make_loss(model, args.loss)
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.01)
    set_model_dropout(model, args.train_mode)
    if args.gradient_checkpointing:
        transformer_of(model).gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.train()   # transformers checkpoints layers only in train mode
    gen = torch.Generator().manual_seed(7)
    anchors = random_ids(torch, gen, args.batch, args.tokens)
    positives = random_ids(torch, gen, args.batch, args.tokens)

    def step():
        opt.zero_grad(set_to_none=True)
        value = loss([anchors, positives], None)
        value.backward()
        opt.step()

    times = measure(step, args.warmup, args.iterations)
    if args.profile:
        profile(torch, step)
    runtime = model_runtime(model, torch)
    runtime["lora"] = f"r=16 alpha=32 dropout={lora_dropout} targets={','.join(LORA_TARGETS)} ({len(params)} tensors)"
    runtime["loss"] = "MNRL(scale 20)" if args.loss == "mnrl" else f"MatryoshkaLoss(MNRL(scale 20), {MATRYOSHKA_DIMS})"
    runtime["optimizer"] = "torch.optim.AdamW lr=2e-4 wd=0.01"
    runtime["dropout"] = (f"train mode: model dropout + LoRA dropout {lora_dropout}" if args.train_mode
                          else f"eval mode, LoRA dropout {lora_dropout}")
    if args.gradient_checkpointing:
        cfg = transformer_of(model).config
        runtime["gradient_checkpointing"] = (f"on (non-reentrant; train mode, hidden dropout {cfg.hidden_dropout_prob},"
                                             f" attention dropout {cfg.attention_probs_dropout_prob})")
    tokens = 2 * args.batch * args.tokens
    return result(args, "train-step", times, 1, "step", runtime,
                  {"real_tokens_per_second": tokens / statistics.median(times)},
                  f"manual loop: ST loss classes, PEFT LoRA, torch AdamW; {args.batch}+{args.batch} x {args.tokens} random ids")


def profile(torch, step):
    """One more step under torch.profiler; the ops by self CPU time go to stderr (where the time goes)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    log(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))


def run_trainer(args, torch):
    import random as pyrandom
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import TrainerCallback

    model = load_model(args, torch)
    model.max_seq_length = args.tokens
    params = add_lora(model, 0.1)
    loss = make_loss(model, args.loss)
    steps = args.warmup + args.iterations
    rng = pyrandom.Random(7)
    texts = exact_length_texts(model.tokenizer, rng, 2 * args.batch * steps, args.tokens)
    data = Dataset.from_dict({"anchor": texts[0::2], "positive": texts[1::2]})
    step_times = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, a, state, control, **kw):
            self.t0 = time.perf_counter()

        def on_step_end(self, a, state, control, **kw):
            step_times.append(time.perf_counter() - self.t0)

    import tempfile
    with tempfile.TemporaryDirectory() as out:
        targs = SentenceTransformerTrainingArguments(
            output_dir=out, per_device_train_batch_size=args.batch, learning_rate=2e-4, weight_decay=0.01,
            max_steps=steps, lr_scheduler_type="constant", save_strategy="no", logging_strategy="no", report_to="none",
            dataloader_num_workers=0, use_cpu=True, seed=42, disable_tqdm=True, optim="adamw_torch")
        trainer = SentenceTransformerTrainer(model=model, args=targs, train_dataset=data, loss=loss,
                                             callbacks=[StepTimer()])
        t0 = time.perf_counter()
        out_metrics = trainer.train().metrics
        wall = time.perf_counter() - t0
    times = step_times[args.warmup:]
    runtime = model_runtime(model, torch)
    runtime["lora"] = f"r=16 alpha=32 dropout=0.1 targets={','.join(LORA_TARGETS)}"
    runtime["optimizer"] = f"{targs.optim} lr=2e-4 wd=0.01 max_grad_norm={targs.max_grad_norm}"
    runtime["dropout"] = "train mode (trainer): model dropout + LoRA dropout 0.1"
    sps = out_metrics.get("train_samples_per_second", float("nan"))
    figures = {
        "train_samples_per_second": sps,
        "steps_per_second_from_trainer": sps / args.batch,
        "trainer_wall_seconds": wall,
        "train_runtime": out_metrics.get("train_runtime", float("nan")),
        "steps": steps,
    }
    return result(args, "trainer", times, 1, "step", runtime, figures,
                  f"SentenceTransformerTrainer.train(), {steps} steps ({args.warmup} not counted in the per-step median);"
                  f" train_samples_per_second counts all steps and start-up")


def run_train_batches(args, torch):
    with open(args.batches, encoding="utf-8") as f:
        spec = json.load(f)
    batches = spec["batches"]
    if not batches:
        raise SystemExit(f"{args.batches}: no batches")
    model = load_model(args, torch)
    lora_dropout = lora_dropout_of(args)
    params = add_lora(model, lora_dropout)
    loss = make_loss(model, args.loss)
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.01)
    set_model_dropout(model, args.train_mode)
    encoded, real = [], []
    for columns in batches:
        feats = [model.preprocess(col) for col in columns]  # padded to the longest text of each column, as the collator does
        feats = [{k: v for k, v in f.items() if k in ("input_ids", "attention_mask", "token_type_ids")} for f in feats]
        encoded.append(feats)
        real.append(int(sum(int(f["attention_mask"].sum()) for f in feats)))
    order = {"i": 0}
    tokens_seen = []

    def step():
        i = order["i"] % len(encoded)
        order["i"] += 1
        opt.zero_grad(set_to_none=True)
        value = loss(encoded[i], None)
        value.backward()
        opt.step()
        tokens_seen.append(real[i])

    times = measure(step, args.warmup, args.iterations)
    measured_tokens = tokens_seen[args.warmup:]
    runtime = model_runtime(model, torch)
    runtime["dropout"] = (f"train mode: model dropout + LoRA dropout {lora_dropout}" if args.train_mode
                          else f"eval mode, LoRA dropout {lora_dropout}")
    if args.gradient_checkpointing:
        cfg = transformer_of(model).config
        runtime["gradient_checkpointing"] = (f"on (non-reentrant; train mode, hidden dropout {cfg.hidden_dropout_prob},"
                                             f" attention dropout {cfg.attention_probs_dropout_prob})")
    figures = {"real_tokens_per_second": sum(measured_tokens) / sum(times),
               "mean_real_tokens_per_step": statistics.mean(measured_tokens),
               "batches": len(batches)}
    return result(args, "train-batches", times, 1, "step", runtime, figures,
                  f"real batches from {os.path.basename(args.batches)}, one step each in order, tokenised beforehand")


def run_encode_batch(args, torch):
    import random as pyrandom
    model = load_model(args, torch)
    model.max_seq_length = args.tokens
    model.eval()
    gen = torch.Generator().manual_seed(42)
    feats = random_ids(torch, gen, args.batch, args.tokens)

    def loop():
        with torch.inference_mode():
            model(dict(feats))["sentence_embedding"]

    times = measure(loop, args.warmup, args.iterations)
    texts = exact_length_texts(model.tokenizer, pyrandom.Random(42), args.batch, args.tokens)
    assert model.preprocess(texts)["input_ids"].shape == (args.batch, args.tokens)
    plain = measure(lambda: model.encode(texts, batch_size=args.batch), args.warmup, args.iterations)
    runtime = model_runtime(model, torch)
    figures = {"encode_texts_per_second": args.batch / statistics.median(plain),
               "encode_median_seconds": statistics.median(plain)}
    return result(args, "encode-batch", times, args.batch, "text", runtime, figures,
                  "model(features) under inference_mode on random ids; figures.encode_*: model.encode(texts) of"
                  f" texts that tokenise to exactly {args.tokens} tokens, timed plainly")


def run_encode_corpus(args, torch):
    passages = read_passages(args.texts)
    if args.limit:
        passages = passages[:args.limit]
    model = load_model(args, torch)
    model.eval()
    times = measure(lambda: model.encode(passages, batch_size=32), args.warmup, args.iterations)
    runtime = model_runtime(model, torch)
    tok = model.tokenizer(passages, truncation=True, max_length=model.max_seq_length)
    real = sum(len(x) for x in tok["input_ids"])
    return result(args, "encode-corpus", times, len(passages), "text", runtime,
                  {"real_tokens_per_second": real / statistics.median(times), "texts": len(passages),
                   "max_seq_length": model.max_seq_length},
                  f"model.encode(all {len(passages)} passages, batch_size=32), its own length sorting")


# ------------------------------------------------------------------ ONNX Runtime

def ort_session(args):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])


def ort_feeds(session, ids, mask):
    import numpy as np
    names = {i.name for i in session.get_inputs()}
    feeds = {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)}
    if "token_type_ids" in names:
        feeds["token_type_ids"] = np.zeros_like(feeds["input_ids"])
    return feeds


def run_ort_batch(args):
    import numpy as np
    session = ort_session(args)
    rng = np.random.default_rng(42)
    ids = rng.integers(1000, 30522, size=(args.batch, args.tokens))
    ids[:, 0], ids[:, -1] = 101, 102
    feeds = ort_feeds(session, ids, np.ones_like(ids))
    times = measure(lambda: session.run(None, feeds), args.warmup, args.iterations)
    return result(args, "ort-batch", times, args.batch, "text", runtime_info(),
                  {"real_tokens_per_second": args.batch * args.tokens / statistics.median(times)},
                  "InferenceSession.run, graph optimisation ALL, sequential, intra-op threads = --threads")


def run_ort_corpus(args):
    import numpy as np
    from tokenizers import Tokenizer
    passages = read_passages(args.texts)
    if args.limit:
        passages = passages[:args.limit]
    tok = Tokenizer.from_file(args.tokenizer)
    tok.no_padding()
    tok.enable_truncation(args.max_seq_length)
    order = sorted(range(len(passages)), key=lambda i: -len(passages[i]))  # as ST: longest first, by characters
    batches, real = [], 0
    for s in range(0, len(order), 32):
        enc = tok.encode_batch([passages[i] for i in order[s:s + 32]])
        width = max(len(e.ids) for e in enc)
        ids = np.zeros((len(enc), width), dtype=np.int64)
        mask = np.zeros((len(enc), width), dtype=np.int64)
        for r, e in enumerate(enc):
            ids[r, :len(e.ids)] = e.ids
            mask[r, :len(e.ids)] = 1
            real += len(e.ids)
        batches.append((ids, mask))
    session = ort_session(args)
    feeds = [ort_feeds(session, i, m) for i, m in batches]

    def run_all():
        for f in feeds:
            session.run(None, f)

    times = measure(run_all, args.warmup, args.iterations)
    return result(args, "ort-corpus", times, len(passages), "text", runtime_info(),
                  {"real_tokens_per_second": real / statistics.median(times), "texts": len(passages),
                   "batches": len(batches)},
                  f"{len(passages)} passages sorted longest first, 32 a batch, padded per batch, tokenised beforehand")


# ------------------------------------------------------------------ environment

def run_env(args, torch):
    """sgemm GFLOP/s at the training step's shapes, as torch runs them (MKL), and what torch runs on."""
    shapes = [("4096x384 . 384x384", 4096, 384, 384), ("4096x384 . 384x1536", 4096, 384, 1536),
              ("4096x1536 . 1536x384", 4096, 1536, 384)]
    figures = {}
    times_all = []
    for name, m, k, n in shapes:
        a, b = torch.randn(m, k), torch.randn(k, n)
        c = torch.empty(m, n)
        times = measure(lambda: torch.mm(a, b, out=c), args.warmup, args.iterations)
        figures[f"gflops {name}"] = 2 * m * k * n / statistics.median(times) / 1e9
        if n == 1536:
            times_all = times  # the item: one 4096x384 . 384x1536 sgemm, as Nd4jKernelsBenchmark.gemmFfn
    linear = torch.nn.Linear(384, 1536)
    x = torch.randn(4096, 384)
    with torch.inference_mode():
        times = measure(lambda: linear(x), args.warmup, args.iterations)
    figures["gflops nn.Linear 4096x384 -> 1536"] = 2 * 4096 * 384 * 1536 / statistics.median(times) / 1e9
    return result(args, "env", times_all, 1, "gemm", runtime_info(torch), figures, "sgemm rates at the step's shapes")


def self_test(args, torch):
    import random as pyrandom
    failures = []
    model = load_model(args, torch)
    texts = exact_length_texts(model.tokenizer, pyrandom.Random(1), 4, 128)
    shape = tuple(model.preprocess(texts)["input_ids"].shape)
    ok = shape == (4, 128)
    log(("ok  " if ok else "FAIL") + f" exact-length texts tokenise to {shape}, expected (4, 128)")
    if not ok:
        failures.append("exact-length texts")
    add_lora(model, 0.0)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    layers = [n for n in names if ".encoder.layer." in n]
    # A and B for query, key, value, attention output, intermediate and output dense in each of 6 layers; "dense"
    # also matches BertModel's pooler (unused by mean pooling, but PEFT adapts it and transformers runs it).
    ok = len(layers) == 2 * 6 * 6 and len(names) - len(layers) in (0, 2)
    log(("ok  " if ok else "FAIL") + f" LoRA on {len(layers)} encoder-layer tensors (expected 72) + {len(names) - len(layers)}"
        " elsewhere (the pooler's dense: 2, or 0)")
    if not ok:
        failures.append("lora count")
    print(json.dumps({"format": FORMAT, "self_test": True, "passed": not failures, "failures": failures}))
    return 0 if not failures else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["train-step", "trainer", "train-batches", "encode-batch", "encode-corpus",
                                      "ort-batch", "ort-corpus", "env"], default="train-step")
    p.add_argument("--model-dir", help="sentence-transformers model directory (embedtune's imported builtin)")
    p.add_argument("--onnx", help="ONNX file (ort modes)")
    p.add_argument("--tokenizer", help="tokenizer.json (ort-corpus)")
    p.add_argument("--texts", help="JSONL with a passage field (corpus modes)")
    p.add_argument("--batches", help="JSON of real training batches (train-batches)")
    p.add_argument("--limit", type=int, default=0, help="use only the first N passages (0 = all)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--max-seq-length", type=int, default=0, help="0 = the model's own")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--loss", choices=["matryoshka", "mnrl"], default="matryoshka")
    p.add_argument("--train-mode", action="store_true", help="dropout on (the model's; LoRA's 0.1 unless --lora-dropout)")
    p.add_argument("--lora-dropout", type=float, default=-1.0, help="LoRA dropout (default: 0.1 in train mode, else 0)")
    p.add_argument("--attn", default="", help="attn_implementation (sdpa, eager); default: transformers' choice")
    p.add_argument("--profile", action="store_true", help="train-step: profile one more step (torch.profiler, stderr)")
    p.add_argument("--gradient-checkpointing", action="store_true",
                   help="train-step: Hugging Face's gradient checkpointing (non-reentrant); it acts in train mode only, so the"
                        " model is put in train mode (give a model with dropout 0, e.g. random_model.py's, to keep eval maths)")
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args(argv)
    if args.mode.startswith("ort"):
        if not args.onnx:
            p.error("--onnx is required for " + args.mode)
        if args.mode == "ort-corpus" and not (args.texts and args.tokenizer and args.max_seq_length):
            p.error("ort-corpus needs --texts, --tokenizer and --max-seq-length")
        print(json.dumps(run_ort_batch(args) if args.mode == "ort-batch" else run_ort_corpus(args)))
        return 0
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    if args.mode == "env":
        print(json.dumps(run_env(args, torch)))
        return 0
    if not args.model_dir:
        p.error("--model-dir is required for " + args.mode)
    if args.self_test:
        return self_test(args, torch)
    run = {"train-step": run_train_step, "trainer": run_trainer, "train-batches": run_train_batches,
           "encode-batch": run_encode_batch, "encode-corpus": run_encode_corpus}[args.mode]
    if args.mode in ("encode-corpus", "train-batches") and not (args.texts or args.batches):
        p.error(args.mode + " needs --texts or --batches")
    print(json.dumps(run(args, torch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
