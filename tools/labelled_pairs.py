#!/usr/bin/env python3
"""Labelled pairs from a shared-data file (id, query, passage, group, split), for the binary-classification
workflow (OnlineContrastiveLoss + BinaryClassificationEvaluator, the Quora-duplicates recipe):
each sampled record gives (query, its own passage, 1) and (query, the passage of a record of another
group, 0). The record's split is kept, so train and test pairs never share a query.

    python3 tools/labelled_pairs.py ../shared/data/wordnet.jsonl wordnet-pairs.jsonl --train 160 --test 100 --seed 42
"""
import argparse
import json
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("target")
    ap.add_argument("--train", type=int, default=160, help="records sampled from the train split")
    ap.add_argument("--test", type=int, default=100, help="records sampled from the test split")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    with open(args.source, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    rng = random.Random(args.seed)
    out = []
    for split, n in (("train", args.train), ("test", args.test)):
        pool = [r for r in records if r.get("split") == split]
        for r in rng.sample(pool, n):
            other = rng.choice(pool)
            while other["group"] == r["group"]:
                other = rng.choice(pool)
            out.append({"anchor": r["query"], "positive": r["passage"], "label": 1, "split": split})
            out.append({"anchor": r["query"], "positive": other["passage"], "label": 0, "split": split})
    with open(args.target, "w", encoding="utf-8") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    print(f"{len(out)} labelled pairs ({args.train * 2} train, {args.test * 2} test) -> {args.target}")


if __name__ == "__main__":
    main()
