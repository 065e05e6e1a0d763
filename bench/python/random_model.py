#!/usr/bin/env python3
"""A randomly initialised bge-base-shaped sentence-transformers directory, for the peer's memory runs.

bench's TrainingMemory trains bge-base shapes (12 layers, hidden 768, 12 heads, intermediate 3072,
vocab 30522) from random weights; this writes the same shapes for st_peer.py to load: BertModel's own
initialisation (transformers, seed 0), bge-small-en-v1.5's tokenizer (the same 30522-token vocabulary
as bge-base), mean pooling as TrainingMemory pools, and hidden and attention dropout 0 so that train
mode (which Hugging Face's gradient checkpointing needs) computes what eval mode does.

    /work/peer-venv/bin/python bench/python/random_model.py --tokenizer-from ~/.cache/embedtune/models/bge-small-en-v1.5 \\
        --out /tmp/bge-base-random
"""
import argparse
import json
import os
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokenizer-from", required=True, help="a BERT sentence-transformers directory with a 30522-token vocabulary")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    import torch
    from transformers import BertConfig, BertModel

    src = os.path.expanduser(args.tokenizer_from)
    os.makedirs(args.out, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "sentence_bert_config.json"):
        if os.path.exists(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), os.path.join(args.out, name))
    config = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=512, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(args.out, safe_serialization=True)
    os.makedirs(os.path.join(args.out, "1_Pooling"), exist_ok=True)
    with open(os.path.join(args.out, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": 768, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
                   "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}, f, indent=2)
    with open(os.path.join(args.out, "modules.json"), "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}], f, indent=2)
    print(args.out)


if __name__ == "__main__":
    main()
