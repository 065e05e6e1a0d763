#!/usr/bin/env python3
"""Writes reference values and embedding gradients of sentence-transformers' losses, computed by
sentence-transformers' own code (its loss modules and similarity functions, run unmodified) with
PyTorch autograd in float64, for dev.embedtune.train.loss.SentenceTransformersReferenceTest.

Usage:
    python3 tools/st_loss_reference.py <sentence-transformers git dir> <commit> <output.json>

Needs only PyTorch (Debian: python3-torch). The loss modules' heavy imports (transformers, the model
classes, distributed helpers) are replaced by small stubs; the code that computes the losses is not.
"""
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import types

import torch
from torch import nn

FILES = {
    "sentence_transformers.util.tensor": "sentence_transformers/util/tensor.py",
    "sentence_transformers.util.similarity": "sentence_transformers/util/similarity.py",
    "st_losses.multiple_negatives_ranking": "sentence_transformers/sentence_transformer/losses/multiple_negatives_ranking.py",
    "st_losses.multiple_negatives_symmetric_ranking": "sentence_transformers/sentence_transformer/losses/multiple_negatives_symmetric_ranking.py",
    "st_losses.cosent": "sentence_transformers/sentence_transformer/losses/cosent.py",
    "st_losses.angle": "sentence_transformers/sentence_transformer/losses/angle.py",
    "st_losses.triplet": "sentence_transformers/sentence_transformer/losses/triplet.py",
    "st_losses.contrastive": "sentence_transformers/sentence_transformer/losses/contrastive.py",
    "st_losses.online_contrastive": "sentence_transformers/sentence_transformer/losses/online_contrastive.py",
    "st_losses.matryoshka": "sentence_transformers/sentence_transformer/losses/matryoshka.py",
}


def stub(name, **attrs):
    module = types.ModuleType(name)
    module.__path__ = []
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class _Logger(logging.Logger):
    def warning_once(self, *args, **kwargs):
        self.warning(*args, **kwargs)


def install_stubs():
    logging.setLoggerClass(_Logger)
    import typing_extensions
    if not hasattr(typing_extensions, "deprecated"):  # older typing_extensions (Debian 12)
        typing_extensions.deprecated = lambda message: (lambda cls: cls)
    stub("transformers")
    stub("transformers.utils", is_torchdynamo_compiling=lambda: False,
         logging=types.SimpleNamespace(get_logger=logging.getLogger))
    stub("sklearn")
    stub("sklearn.metrics", pairwise_distances=None)
    if importlib.util.find_spec("scipy") is None:
        stub("scipy")
        stub("scipy.sparse", coo_matrix=None)


class FakeModel(nn.Module):
    """Returns the embeddings it is given: feature dict {"x": tensor} -> {"sentence_embedding": tensor}."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, features):
        return {"sentence_embedding": features["x"]}

    def get_embedding_dimension(self):
        return self.dim


def embed_columns(model, features_list, separate_first=True):
    return [model(f)["sentence_embedding"] for f in features_list]


def main(git_dir, commit, out_path):
    install_stubs()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, rel in FILES.items():
            text = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{rel}"],
                                  check=True, capture_output=True, text=True).stdout
            path = os.path.join(tmp, name.replace(".", "_") + ".py")
            with open(path, "w") as f:
                f.write(text)
            paths[name] = path
        stub("sentence_transformers")
        stub("sentence_transformers.util")
        tensor = load("sentence_transformers.util.tensor", paths["sentence_transformers.util.tensor"])
        similarity = load("sentence_transformers.util.similarity", paths["sentence_transformers.util.similarity"])
        util = sys.modules["sentence_transformers.util"]
        util.__dict__.update({k: v for k, v in vars(similarity).items() if not k.startswith("__")})
        util.all_gather_with_grad = lambda t: t
        util.get_rank = lambda: 0
        util.similarity_fct_name = lambda f: getattr(f, "__name__", str(f))
        sys.modules["sentence_transformers"].util = util
        stub("sentence_transformers.base")
        stub("sentence_transformers.base.losses")
        stub("sentence_transformers.base.losses.merged_forward", embed_columns=embed_columns)
        stub("sentence_transformers.base.losses.gradcache", uses_gradient_cache=lambda loss: False)
        stub("sentence_transformers.sentence_transformer", SentenceTransformer=FakeModel)
        stub("sentence_transformers.sentence_transformer.model", SentenceTransformer=FakeModel)
        losses_pkg = stub("sentence_transformers.sentence_transformer.losses")
        mnrl = load("sentence_transformers.sentence_transformer.losses.multiple_negatives_ranking",
                    paths["st_losses.multiple_negatives_ranking"])
        losses_pkg.MultipleNegativesRankingLoss = mnrl.MultipleNegativesRankingLoss
        mnsrl = load("st_losses.multiple_negatives_symmetric_ranking", paths["st_losses.multiple_negatives_symmetric_ranking"])
        cosent = load("st_losses.cosent", paths["st_losses.cosent"])
        losses_pkg.CoSENTLoss = cosent.CoSENTLoss
        angle = load("st_losses.angle", paths["st_losses.angle"])
        triplet = load("st_losses.triplet", paths["st_losses.triplet"])
        contrastive = load("st_losses.contrastive", paths["st_losses.contrastive"])
        sys.modules["st_losses"] = types.ModuleType("st_losses")
        sys.modules["st_losses"].__path__ = []
        sys.modules["st_losses.contrastive"] = contrastive
        online_src = open(paths["st_losses.online_contrastive"]).read().replace(
            "from .contrastive import", "from st_losses.contrastive import")
        with open(paths["st_losses.online_contrastive"], "w") as f:
            f.write(online_src)
        online = load("st_losses.online_contrastive", paths["st_losses.online_contrastive"])
        matryoshka = load("st_losses.matryoshka", paths["st_losses.matryoshka"])

        gen = torch.Generator().manual_seed(20261123)

        def columns(n, b, d):
            return [torch.randn(b, d, generator=gen, dtype=torch.float64) for _ in range(n)]

        def uniform(b):
            return torch.rand(b, generator=gen, dtype=torch.float64)

        cases = []

        def case(name, java, make_loss, cols, labels=None, dim=None):
            leaves = [c.clone().requires_grad_(True) for c in cols]
            model = FakeModel(dim or cols[0].shape[1])
            loss_module = make_loss(model)
            value = loss_module([{"x": x} for x in leaves], labels)
            value.backward()
            cases.append({
                "name": name,
                "java": java,
                "columns": [c.tolist() for c in cols],
                "labels": None if labels is None else labels.tolist(),
                "loss": value.item(),
                "gradients": [x.grad.tolist() if x.grad is not None else torch.zeros_like(x).tolist() for x in leaves],
            })

        case("mnrl_pairs", "MultipleNegativesRankingLoss()", lambda m: mnrl.MultipleNegativesRankingLoss(m), columns(2, 5, 6))
        case("mnrl_two_negatives", "MultipleNegativesRankingLoss()", lambda m: mnrl.MultipleNegativesRankingLoss(m), columns(4, 4, 5))
        case("mnrl_scale_3", "MultipleNegativesRankingLoss(3)", lambda m: mnrl.MultipleNegativesRankingLoss(m, scale=3.0), columns(3, 4, 5))
        case("mnsrl_pairs", "MultipleNegativesSymmetricRankingLoss()",
             lambda m: mnsrl.MultipleNegativesSymmetricRankingLoss(m), columns(2, 5, 4))
        case("mnsrl_negative", "MultipleNegativesSymmetricRankingLoss(3)",
             lambda m: mnsrl.MultipleNegativesSymmetricRankingLoss(m, scale=3.0), columns(3, 4, 5))
        case("cosent", "CoSENTLoss()", lambda m: cosent.CoSENTLoss(m), columns(2, 6, 5), uniform(6))
        case("cosent_scale_2", "CoSENTLoss(2)", lambda m: cosent.CoSENTLoss(m, scale=2.0), columns(2, 5, 4), uniform(5))
        case("angle_even", "AnglELoss()", lambda m: angle.AnglELoss(m), columns(2, 6, 6), uniform(6))
        case("angle_odd_scale_2", "AnglELoss(2)", lambda m: angle.AnglELoss(m, scale=2.0), columns(2, 5, 5), uniform(5))
        case("angle_ntuple", "AnglELoss()", lambda m: angle.AnglELoss(m), columns(3, 4, 4))
        case("angle_ntuple_labels", "AnglELoss()", lambda m: angle.AnglELoss(m), columns(4, 3, 4), uniform(3))
        case("triplet_euclidean", "TripletLoss()", lambda m: triplet.TripletLoss(m), columns(3, 6, 4))
        case("triplet_euclidean_margin_1", "TripletLoss(EUCLIDEAN, 1)",
             lambda m: triplet.TripletLoss(m, triplet_margin=1.0), columns(3, 6, 4))
        case("triplet_cosine", "TripletLoss(COSINE, 0.3)",
             lambda m: triplet.TripletLoss(m, distance_metric=triplet.TripletDistanceMetric.COSINE, triplet_margin=0.3), columns(3, 6, 4))
        case("triplet_manhattan", "TripletLoss(MANHATTAN, 2)",
             lambda m: triplet.TripletLoss(m, distance_metric=triplet.TripletDistanceMetric.MANHATTAN, triplet_margin=2.0), columns(3, 6, 4))
        binary = torch.tensor([1, 0, 1, 0, 0, 1, 1, 0], dtype=torch.float64)
        case("contrastive", "ContrastiveLoss()", lambda m: contrastive.ContrastiveLoss(m), columns(2, 8, 4), binary)
        case("contrastive_cosine_margin_1_sum", "ContrastiveLoss(COSINE_DISTANCE, 1, false)",
             lambda m: contrastive.ContrastiveLoss(m, margin=1.0, size_average=False), columns(2, 8, 4), binary)
        case("contrastive_euclidean", "ContrastiveLoss(EUCLIDEAN, 3, true)",
             lambda m: contrastive.ContrastiveLoss(m, distance_metric=contrastive.SiameseDistanceMetric.EUCLIDEAN, margin=3.0),
             columns(2, 8, 4), binary)
        case("contrastive_manhattan", "ContrastiveLoss(MANHATTAN, 4, true)",
             lambda m: contrastive.ContrastiveLoss(m, distance_metric=contrastive.SiameseDistanceMetric.MANHATTAN, margin=4.0),
             columns(2, 8, 4), binary)
        case("online_contrastive", "OnlineContrastiveLoss()", lambda m: online.OnlineContrastiveLoss(m), columns(2, 8, 4), binary)
        case("online_contrastive_margin_1", "OnlineContrastiveLoss(COSINE_DISTANCE, 1)",
             lambda m: online.OnlineContrastiveLoss(m, margin=1.0), columns(2, 8, 4), binary)
        case("online_contrastive_euclidean", "OnlineContrastiveLoss(EUCLIDEAN, 2.5)",
             lambda m: online.OnlineContrastiveLoss(m, distance_metric=contrastive.SiameseDistanceMetric.EUCLIDEAN, margin=2.5),
             columns(2, 8, 4), binary)
        case("matryoshka_mnrl", "MatryoshkaLoss(MultipleNegativesRankingLoss(), 8, [8, 4, 2], [1, 0.5, 2])",
             lambda m: matryoshka.MatryoshkaLoss(m, mnrl.MultipleNegativesRankingLoss(m), [8, 4, 2], [1, 0.5, 2]), columns(3, 4, 8))
        case("matryoshka_triplet", "MatryoshkaLoss(TripletLoss(EUCLIDEAN, 1), 6, [3, 6], null)",
             lambda m: matryoshka.MatryoshkaLoss(m, triplet.TripletLoss(m, triplet_margin=1.0), [3, 6]), columns(3, 5, 6))
        case("matryoshka_cosent_partial", "MatryoshkaLoss(CoSENTLoss(), 8, [4, 2], [1, 3])",
             lambda m: matryoshka.MatryoshkaLoss(m, cosent.CoSENTLoss(m), [4, 2], [1, 3]), columns(2, 5, 8), uniform(5))

    doc = {
        "generator": "tools/st_loss_reference.py",
        "sentence_transformers_commit": commit,
        "torch": torch.__version__,
        "dtype": "float64",
        "cases": cases,
    }
    tmp_out = out_path + ".tmp"
    with open(tmp_out, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp_out, out_path)
    print(f"wrote {len(cases)} cases to {out_path}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
