"""Loads embedtune's output with the real Python clients and reports what they say and compute.

Usage: load_with_peers.py BASE_DIR ADAPTER_DIR MERGED_DIR TEXTS_JSON OUT_JSON

Writes OUT_JSON with, for each step, the warnings and log records (WARNING and above) it raised
and the embeddings it produced:
  merged_st:   SentenceTransformer(MERGED_DIR).encode(texts)
  adapter_st:  SentenceTransformer(BASE_DIR) + .load_adapter(ADAPTER_DIR) (transformers' PEFT integration)
  adapter_peft: SentenceTransformer(BASE_DIR) with its BertModel wrapped by PeftModel.from_pretrained(ADAPTER_DIR)
  merged_hf:   transformers.AutoModel / AutoConfig / AutoTokenizer over MERGED_DIR (records only)
plus the library versions. Runs offline: nothing is downloaded.
"""
import json
import logging
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(f"{record.name}: {record.getMessage()}")


def capture(step):
    """Runs step() and returns (result, messages): Python warnings plus WARNING+ log records."""
    handler = Records()
    loggers = [logging.getLogger(n) for n in ("", "transformers", "peft", "sentence_transformers", "huggingface_hub")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = step()
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    messages = handler.messages + [f"{w.category.__name__}: {w.message}" for w in caught]
    # the same record can reach two of the loggers above
    return result, list(dict.fromkeys(messages))


def main(base_dir, adapter_dir, merged_dir, texts_json, out_json):
    import peft
    import sentence_transformers
    import torch
    import transformers
    from peft import PeftModel
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    with open(texts_json, encoding="utf8") as f:
        texts = json.load(f)
    out = {"versions": {"sentence_transformers": sentence_transformers.__version__,
                        "transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__}}

    merged, out["merged_load"] = capture(lambda: SentenceTransformer(merged_dir, device="cpu"))
    out["merged_st"] = merged.encode(texts, convert_to_numpy=True).tolist()

    base, _ = capture(lambda: SentenceTransformer(base_dir, device="cpu"))
    _, out["adapter_st_load"] = capture(lambda: base.load_adapter(adapter_dir))
    out["adapter_st"] = base.encode(texts, convert_to_numpy=True).tolist()

    base2, _ = capture(lambda: SentenceTransformer(base_dir, device="cpu"))
    wrapped, out["adapter_peft_load"] = capture(lambda: PeftModel.from_pretrained(base2[0].auto_model, adapter_dir))
    base2[0].auto_model = wrapped
    out["adapter_peft"] = base2.encode(texts, convert_to_numpy=True).tolist()

    def hf():
        transformers.AutoConfig.from_pretrained(merged_dir)
        transformers.AutoTokenizer.from_pretrained(merged_dir)
        return transformers.AutoModel.from_pretrained(merged_dir)
    _, out["merged_hf_load"] = capture(hf)

    with open(out_json, "w", encoding="utf8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:6])
