"""Sec. IV and Supplement E: the multi-level distillation of MNIST and CIFAR-10, and what
the distilled images are worth.

One experiment per data set (``distillation_mnist``, ``distillation_cifar10``), in stages
that each resume from their checkpoint:

1. the hierarchy of Fig. 7 for every loss in ``losses`` (Eq. 5 "euclidean", and the
   "arcface" alternative of Sec. IV), level by level (``cgcore.distill``);
2. Eq. (S3) for every class and level, level 0 being the original training set;
3. a ResNet backbone trained on the real training set (Sec. IV: ResNet18 for MNIST,
   ResNet50 for CIFAR-10), whose embeddings classify the test set by the most
   cosine-similar reference, for the references of every level and two trivial ones
   (the class-mean image, and one random real image per class);
4. the distillation literature's own test: the Fig. 8 ConvNet trained from scratch on
   the references of a level, tested on the real test set.

Images are standardised per channel before distillation (the distilled images live in
that space); they are stored, and measured by Eq. (S3), as pixels in [0, 1].
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np
import torch
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor

from .. import distill
from ..checks import check_choice
from ..data import TensorData, load_dataset
from ..models import distill_convnet, fast_cifar_net, init_whitening, resnet_small_input
from ..paper import PAPER
from ..results import (another_runs_checkpoints, checkpoint_dir, load_checkpoint, note_restored_seconds,
                       stored_or_computed)
from ..train import accuracy, default_device, fit, save_atomic, seed_everything
from .common import channel_stats, from_pixels, make_augment, to_pixels, to_uint8, train_config

NAMES = {"distillation_mnist": "mnist", "distillation_cifar10": "cifar10"}


def level_configs(config: dict, loss: str) -> list[distill.DistillConfig]:
    """One DistillConfig per level from ``config["distill"]`` (``iterations`` is a list)."""
    settings = dict(config["distill"])
    iterations = settings.pop("iterations")
    if len(iterations) != len(config["group_sizes"]):
        raise ValueError(f"distill.iterations needs one entry per level ({len(config['group_sizes'])}), "
                         f"got {iterations}")
    return [distill.DistillConfig(iterations=n, loss=loss, seed=config["seed"], **settings)
            for n in iterations]


def check_levels(config: dict) -> None:
    """Fail early, before hours of distillation, on evaluation levels that will not exist."""
    n_levels = len(config["group_sizes"])
    evaluation = config["convnet_eval"] or {"levels": [], "losses": []}      # None: no ConvNet test
    bad = [k for k in evaluation["levels"] if not 1 <= k <= n_levels]
    if bad:
        raise ValueError(f"convnet_eval.levels {bad} out of range: group sizes {config['group_sizes']} "
                         f"make levels 1..{n_levels}")
    unknown = set(config["losses"]) - set(distill.LOSSES)
    if unknown or not config["losses"]:
        raise ValueError(f"losses must be a non-empty list of {', '.join(distill.LOSSES)}, got {config['losses']}")
    evaluated = evaluation.get("losses", config["losses"])
    if set(evaluated) - set(config["losses"]):
        raise ValueError(f"convnet_eval.losses {evaluated} must be among the distilled losses {config['losses']}")


def random_real_images(data: TensorData, n_classes: int, n: int, seed: int) -> torch.Tensor:
    """``n`` real images per class drawn at random, shaped like a level: (n, C, ch, H, W)."""
    g = torch.Generator().manual_seed(seed)
    picks = []
    for c in range(n_classes):
        images = data.images[data.labels == c]
        picks.append(images[torch.randperm(len(images), generator=g)[:n]])
    return torch.stack(picks, dim=1)


def standardised_data(dataset: str, train_size, test_size, seed: int):
    """The training and test subsets of an experiment, standardised per channel with the
    training set's statistics: (train, train_std, test_std, mean, std), ``train`` in pixels."""
    train = load_dataset(dataset, "train").subset(train_size, seed)
    test = load_dataset(dataset, "test").subset(test_size, seed)
    mean, std = channel_stats(train.images)
    return (train, TensorData(from_pixels(train.images, mean, std), train.labels, train.name),
            TensorData(from_pixels(test.images, mean, std), test.labels, test.name), mean, std)


BACKBONES = ("resnet18", "resnet34", "resnet50", "fast_cifar")


def train_backbone(config: dict, train, test, ckpt, progress: bool):
    """The backbone of Sec. IV, trained on the standardised real training set less a
    validation split (``backbone.val_size``; the per-epoch accuracies are on it). Returns
    (model in eval mode, feature extractor, history, test accuracy)."""
    b = config["backbone"]
    check_choice("backbone.arch", b["arch"], BACKBONES)
    seed_everything(config["seed"])
    fit_on, val = train.split(b["val_size"], config["seed"]) if b.get("val_size") else (train, None)
    in_channels = train.images.shape[1]
    if b["arch"] == "fast_cifar":
        model = fast_cifar_net(in_channels, num_classes=10, widths=tuple(b["widths"]))
        init_whitening(model, fit_on.subset(5000, config["seed"]).images)
    else:
        model = resnet_small_input(b["arch"], in_channels=in_channels, num_classes=10,
                                   stem=b["stem"], stem_stride=b["stem_stride"])
    model = model.to(default_device())
    augment = make_augment(b["augment"], "backbone.augment")
    cfg = train_config(b, config["seed"], optimizer="sgd", schedule="onecycle")
    history = fit(model, fit_on, val, cfg, checkpoint=ckpt / "backbone.pt", augment=augment,
                  desc=f"backbone {b['arch']}", progress=progress)
    model.eval()
    test_acc = accuracy(model, test, precision=cfg.precision, flip_tta=b.get("flip_tta", False))
    features = create_feature_extractor(model, {"flatten": "embedding"})
    device = default_device()
    return model, (lambda x: features(x.to(device))["embedding"]), history, test_acc


class FrozenFeatures(nn.Module):
    """A trained backbone's embedding (the input of its classifier) as a frozen network, to
    distil references in instead of Fig. 8's random ConvNets."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.features = create_feature_extractor(model, {"flatten": "embedding"}).eval()
        for p in self.features.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True):
        return super().train(False)     # batch norm keeps its trained statistics

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)["embedding"].flatten(1)


def convnet_accuracy(config: dict, references: torch.Tensor, test, progress: bool,
                     desc: str = "references") -> list[float]:
    """Fig. 8's ConvNet trained from scratch on ``references`` (n, C, ch, H, W) only, one
    test accuracy per model: the evaluation of the distillation literature (Ref. 63).
    ``convnet_eval`` holds its protocol: epochs, SGD with momentum (no Nesterov), the
    learning-rate schedule, and the augmentation (``{"kind": "dsa", ...}``: Ref. 63's DSA)."""
    e = config["convnet_eval"]
    augment = make_augment(e.get("augment"), "convnet_eval.augment")
    n, n_classes = references.shape[:2]
    images = references.flatten(0, 1)
    labels = torch.arange(n_classes).repeat(n)
    train = TensorData(images, labels, "references")
    accs = []
    for model_seed in range(e["models"]):
        seed_everything(config["seed"] * 100 + model_seed)
        net = distill_convnet(images.shape[1], images.shape[-1], e["width"], e["depth"],
                              num_classes=n_classes).to(default_device())
        cfg = train_config(e, model_seed, optimizer="sgd", momentum=0.9, weight_decay=5e-4)
        fit(net, train, None, cfg, augment=augment, progress=False)
        accs.append(accuracy(net, test))
    if progress:
        print(f"ConvNet on {desc}, {n} image(s) per class: {np.mean(accs):.4f} ± {np.std(accs):.4f}", flush=True)
    return accs


def stored_convnet_accuracy(config: dict, references: torch.Tensor, test, progress: bool, desc: str,
                            folder) -> list[float]:
    """:func:`convnet_accuracy`, kept in ``folder`` (a checkpoint folder named after everything
    the answer depends on), so that a resumed run does not train the same models again."""
    return stored_or_computed(folder / "convnet_acc.pt",
                              lambda: {"acc": convnet_accuracy(config, references, test, progress, desc=desc)})["acc"]


def judge_references(features, test_embeddings: torch.Tensor, test_labels: torch.Tensor, centroids: torch.Tensor,
                     references: torch.Tensor) -> dict:
    """Sec. IV's test of references (n, C, ch, H, W), standardised, embedded once: the test
    accuracy of the nearest reference by angle, and where the references sit against the
    class centroids of the same embedding."""
    n, n_classes = references.shape[:2]
    emb = distill.embed(features, references.flatten(0, 1))
    labels = torch.arange(n_classes).repeat(n)
    return {"acc": distill.nearest_reference_accuracy(test_embeddings, test_labels, emb, labels),
            "alignment": distill.centroid_alignment(emb, labels, centroids)}


@dataclass
class BackboneJudge:
    """A trained backbone and Sec. IV's test in its embedding: ``judge(references)`` as
    :func:`judge_references`, and ``ceiling``, the accuracy of the class centroids."""
    model: nn.Module
    history: object
    test_acc: float
    judge: object
    ceiling: float


def backbone_judge(config: dict, train_std, test_std, n_classes: int, folder, progress: bool) -> BackboneJudge:
    """The backbone of ``config`` trained (or loaded from ``folder``), the test images and
    the class centroids of the training images embedded once, and the judge of references
    in that embedding."""
    model, features, history, test_acc = train_backbone(config, train_std, test_std, folder, progress)
    test_emb = distill.embed(features, test_std.images)
    centroids = distill.class_centroids(distill.embed(features, train_std.images), train_std.labels, n_classes)
    ceiling = distill.nearest_reference_accuracy(test_emb, test_std.labels, centroids, torch.arange(n_classes))
    return BackboneJudge(model, history, test_acc,
                         partial(judge_references, features, test_emb, test_std.labels, centroids), ceiling)


def distil_hierarchies(config: dict, train_std, n_classes: int, profile: str, experiment: str,
                       progress: bool) -> dict[str, list]:
    """Stage 1: the hierarchy of Fig. 7 for every loss, {loss: [LevelResult per level]}.
    Each checkpoints under the hash of the settings it depends on, so that changing the
    evaluation does not redo the distillation."""
    hierarchies = {}
    for loss in config["losses"]:
        stage = {**{k: config[k] for k in ("dataset", "train_size", "seed")}, "loss": loss,
                 **{k: config[k] for k in ("group_sizes", "level0", "distill")}}
        hierarchies[loss] = distill.distill_hierarchy(
            train_std.images, train_std.labels, n_classes, config["group_sizes"], level_configs(config, loss),
            level0=config["level0"], seed=config["seed"],
            checkpoint_dir=checkpoint_dir(profile, f"{experiment}-{loss}", stage),
            progress=progress, desc=f"{experiment}/{loss}")
    return hierarchies


def class_measures(images_by_class) -> dict:
    """Eq. (S3)'s s and d for each class's images."""
    s, d = zip(*(distill.similarity_measures(x) for x in images_by_class))
    return {"s": list(s), "d": list(d)}


def level_measures(config: dict, train, hierarchies: dict, mean, std, n_classes: int):
    """Stage 2: Eq. (S3) for every class and level (level 0 = the original training set),
    with each level's high-frequency and saturated shares; and the sample images of every
    level for the figures. Returns (level 0's measures, {loss: rows}, arrays)."""
    level0 = class_measures([train.images[train.labels == c] for c in range(n_classes)])
    sample = train.subset(10_000, config["seed"]).images
    level0.update(high_freq=distill.high_frequency_fraction(sample), saturated=distill.saturated_fraction(sample))
    arrays = {"level0": to_uint8(torch.stack([train.images[train.labels == c][0] for c in range(n_classes)]))}
    levels = {}
    for loss, results in hierarchies.items():
        rows = []
        for k, level in enumerate(results, start=1):
            pixels = to_pixels(level.references, mean, std)          # (n, C, ch, H, W)
            row = {"level": k, "images_per_class": pixels.shape[0], "seconds": level.seconds,
                   "embed_seconds": level.embed_seconds,
                   "loss_first": level.loss[0] if level.loss else None,
                   "loss_last": level.loss[-1] if level.loss else None}
            raw = level.references * std.view(-1, 1, 1) + mean.view(-1, 1, 1)   # before clamping
            row.update(high_freq=distill.high_frequency_fraction(pixels.flatten(0, 1)),
                       saturated=distill.saturated_fraction(raw))
            if pixels.shape[0] > 1:
                row.update(class_measures([pixels[:, c] for c in range(n_classes)]))
            rows.append(row)
            arrays[f"{loss}_level{k}"] = to_uint8(pixels[:config["figure_samples"]])
        levels[loss] = rows
    return level0, levels, arrays


def class_mean_images(data, n_classes: int) -> torch.Tensor:
    """The mean image of each class, shaped like a level of one image per class: (1, C, ...)."""
    return torch.stack([data.images[data.labels == c].mean(0) for c in range(n_classes)])[None]


def reference_test(config: dict, train_std, test_std, hierarchies: dict, n_classes: int, profile: str,
                   experiment: str, progress: bool) -> dict:
    """Stage 3, Sec. IV's test: the backbone trained on the real images, then every level's
    references (and the class-mean image, one random real image per class, the class
    centroids) classify the test set by the nearest reference by angle in its embedding."""
    backbone = backbone_judge(config, train_std, test_std, n_classes, backbone_checkpoint(config, profile, experiment),
                              progress)
    judge, history, backbone_test_acc, ceiling = backbone.judge, backbone.history, backbone.test_acc, backbone.ceiling
    judged = {loss: {f"D{k}": judge(level.references) for k, level in enumerate(results, start=1)}
              for loss, results in hierarchies.items()}
    judged_mean = judge(class_mean_images(train_std, n_classes))
    judged_random = judge(random_real_images(train_std, n_classes, 1, config["seed"]))
    aligned = {loss: {k: j["alignment"] for k, j in by_level.items()} for loss, by_level in judged.items()}
    aligned.update(class_mean=judged_mean["alignment"], random_real=judged_random["alignment"])
    return {"backbone": {"arch": config["backbone"]["arch"], "test_acc": backbone_test_acc,
                         "val_acc": history.test_acc[-1], "history": history.as_dict(),
                         "train_seconds": sum(history.seconds)},
            "reference_acc": {loss: {k: j["acc"] for k, j in by_level.items()} for loss, by_level in judged.items()},
            "trivial_reference_acc": {"class_mean": judged_mean["acc"], "random_real": judged_random["acc"],
                                      "centroid": ceiling},
            "centroid_alignment": aligned}


def convnet_test(config: dict, train_std, test_std, hierarchies: dict, n_classes: int, progress: bool) -> dict:
    """Stage 4, the distillation literature's test: Fig. 8's ConvNet trained on the
    references of ``convnet_eval.levels`` alone, and on references that need no
    distillation (random real images, as many per class; the class-mean image).
    ``convnet_eval`` None skips the test."""
    e = config["convnet_eval"]
    if e is None:
        return {"convnet_acc": {}, "convnet_baselines": []}
    convnet = {loss: {f"D{k}": convnet_accuracy(config, hierarchies[loss][k - 1].references, test_std, progress,
                                                 desc=f"D{k} ({loss})")
                      for k in e["levels"]}
               for loss in e.get("losses", config["losses"])}
    per_class = sorted({distill.images_per_class(config["group_sizes"], k) for k in e["levels"]})
    baselines = [{"references": "random real", "images_per_class": n,
                  "acc": convnet_accuracy(config, random_real_images(train_std, n_classes, n, config["seed"]),
                                          test_std, progress, desc="random real")}
                 for n in per_class]
    baselines.append({"references": "class mean", "images_per_class": 1,
                      "acc": convnet_accuracy(config, class_mean_images(train_std, n_classes), test_std, progress,
                                              desc="class mean")})
    return {"convnet_acc": convnet, "convnet_baselines": baselines}


def run(config: dict, profile: str, progress: bool = True, *, experiment: str) -> dict:
    """The four stages of the module docstring, in order (each resumes from its checkpoint)."""
    check_choice("experiment", experiment, tuple(NAMES))
    start = time.perf_counter()
    seed_everything(config["seed"])
    train, train_std, test_std, mean, std = standardised_data(config["dataset"], config["train_size"],
                                                             config["test_size"], config["seed"])
    n_classes = int(train.labels.max()) + 1
    sizes = config["group_sizes"]
    check_levels(config)

    hierarchies = distil_hierarchies(config, train_std, n_classes, profile, experiment, progress)
    level0, levels, arrays = level_measures(config, train, hierarchies, mean, std, n_classes)
    references = reference_test(config, train_std, test_std, hierarchies, n_classes, profile, experiment, progress)
    arrays["class_mean"] = to_uint8(to_pixels(class_mean_images(train_std, n_classes)[0], mean, std))
    convnet = convnet_test(config, train_std, test_std, hierarchies, n_classes, progress)
    return {
        "experiment": experiment,
        "dataset": config["dataset"],
        "n_train": len(train),
        "n_test": len(test_std),
        "group_sizes": sizes,
        "images_per_class": [distill.images_per_class(sizes, k) for k in range(len(sizes) + 1)],
        "level0_class_sizes": torch.bincount(train.labels, minlength=n_classes).tolist(),
        "similarity_level0": level0,
        "levels": levels,
        **references,
        **convnet,
        "device": str(default_device()),
        "seconds": time.perf_counter() - start,
        "arrays": arrays,
    }


def claims(result: dict) -> dict[str, float]:
    ds = result["dataset"]
    top = f"D{len(result['group_sizes'])}"
    out = {f"distill_backbone_{ds}_acc": result["backbone"]["test_acc"],
           f"distill_classmean_{ds}_acc": result["trivial_reference_acc"]["class_mean"],
           f"distill_random_{ds}_acc": result["trivial_reference_acc"]["random_real"]}
    if "centroid" in result["trivial_reference_acc"]:
        out[f"distill_ceiling_{ds}_acc"] = result["trivial_reference_acc"]["centroid"]
    for loss, claim in (("euclidean", "ref"), ("arcface", "arcface")):
        if loss in result["reference_acc"]:
            out[f"distill_{claim}_{ds}_acc"] = result["reference_acc"][loss][top]
    if "euclidean" in result["convnet_acc"] and top in result["convnet_acc"]["euclidean"]:
        out[f"distill_convnet_1ipc_{ds}_acc"] = float(np.mean(result["convnet_acc"]["euclidean"][top]))
    levels, s, d = similarity_by_level(result)
    if len(levels) > 1:
        # Supplement E: the share of classes whose s rose and whose d fell, level 0 to the last level measured
        out[f"similarity_s_rises_{ds}"] = float(np.mean(s[-1] > s[0]))
        out[f"similarity_d_falls_{ds}"] = float(np.mean(d[-1] < d[0]))
    return {k: v for k, v in out.items() if k in PAPER}


def similarity_by_level(result: dict, loss: str = "euclidean"):
    """Eq. (S3) of a stored distillation, level by level: (levels, s, d), ``s`` and ``d``
    of shape (levels, classes), level 0 being the original training set and the levels
    after it those with two or more images per class (Eq. S3 needs two)."""
    level0 = result.get("similarity_level0", {})
    rows = ([(0, level0)] if "s" in level0 else []) + [(r["level"], r) for r in result["levels"].get(loss, [])
                                                      if "s" in r]
    levels = [k for k, _ in rows]
    rows = [r for _, r in rows]
    return levels, np.array([r["s"] for r in rows]), np.array([r["d"] for r in rows])


BUDGETS = ("distill_budget", "distill_budget_cifar10")   # MNIST (the question), CIFAR-10


def run_budget(config: dict, profile: str, progress: bool = True) -> dict:
    """What the cpu profile's former shortcuts cost: a random sample of level-1 subsets
    distilled with each of ``config["variants"]`` (the cpu profile's former level-1 settings,
    and longer runs up to Ref. 63's fresh full-width network at every iteration), every result scored
    in ``eval_networks`` fresh networks of Fig. 8's width that none of them was distilled in
    (:func:`cgcore.distill.unseen_network_scores`). "initial" is the real images the
    references start from."""
    start = time.perf_counter()
    train = load_dataset(config["dataset"], "train").subset(config["train_size"], config["seed"])
    images = from_pixels(train.images, *channel_stats(train.images))
    n_classes = int(train.labels.max()) + 1
    subset = distill.assign_level0(train.labels, n_classes, config["group_sizes"], config["level0"], config["seed"])
    n_subsets = distill.images_per_class(config["group_sizes"], 1)
    k = config["sample_subsets"]
    if not 1 <= k <= n_subsets:
        raise ValueError(f"sample_subsets must be in 1..{n_subsets} (the level-1 subsets), got {k}")
    chosen = torch.randperm(n_subsets, generator=torch.Generator().manual_seed(config["seed"]))[:k]
    renumber = torch.full((n_subsets,), -1, dtype=torch.long)
    renumber[chosen] = torch.arange(k)
    sample = renumber[subset.clamp(min=0)].where(subset >= 0, torch.tensor(-1))
    keep = sample >= 0
    images, labels, sample = images[keep], train.labels[keep], sample[keep]

    base = {**config["distill"], "loss": "euclidean", "seed": config["seed"]}
    references = {"initial": distill.initial_references(images, labels, sample, k, n_classes, base["init"])}
    seconds = {"initial": 0.0}
    for name, settings in config["variants"].items():
        cfg = distill.DistillConfig(**{**base, **settings})
        result = distill.distill_level(images, labels, sample, k, n_classes, cfg, progress=progress,
                                       desc=f"budget {config['dataset']}/{name}")
        references[name], seconds[name] = result.references, result.seconds
    eval_cfg = distill.DistillConfig(width=config["eval_width"], depth=base["depth"])
    nets = [distill.embedding_net(eval_cfg, images.shape[1], images.shape[-1], 999_983 + i, default_device())
            for i in range(config["eval_networks"])]
    rows = {name: {**distill.unseen_network_scores(refs, nets, images, labels, sample, base["lam"]),
                   "seconds": seconds[name]}
            for name, refs in references.items()}
    return {"variants": rows, "sample_subsets": chosen.tolist(), "n_real": len(images),
            "device": str(default_device()), "seconds": time.perf_counter() - start}


ABLATIONS = {"distill_ablation": "distillation_mnist", "distill_ablation_cifar10": "distillation_cifar10"}


def backbone_checkpoint(config: dict, profile: str, experiment: str):
    """The backbone stage's checkpoint folder of a distillation experiment (shared by the
    ablation, so that it judges every variant in the same trained embedding)."""
    keys = {k: config[k] for k in ("dataset", "train_size", "seed")}
    return checkpoint_dir(profile, f"{experiment}-backbone",
                          {**keys, "test_size": config["test_size"], "backbone": config["backbone"]})


EMBEDDINGS = ("random", "backbone", "trained_convnet")


def trained_convnet_embedding(base: dict, train, test, settings: dict, profile: str, experiment: str,
                              progress: bool):
    """Fig. 8's ConvNet (``settings["width"]``, the base's depth) trained as a classifier on
    the training set less the backbone's validation split, for ``settings["epochs"]``; its
    frozen embedding (the classifier head removed) and its accuracies. The paper does not
    say whether its f is trained; Ref. 63's is not."""
    seed_everything(base["seed"])
    fit_on, val = train.split(base["backbone"]["val_size"], base["seed"])
    net = distill_convnet(train.images.shape[1], train.images.shape[-1], settings["width"], base["distill"]["depth"],
                          num_classes=10).to(default_device())
    cfg = train_config(settings, base["seed"], optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                       schedule="onecycle")
    ckpt = checkpoint_dir(profile, f"{experiment}-embedding-convnet",
                          {k: base[k] for k in ("dataset", "train_size", "seed")} | {"training": settings,
                                                                                    "val_size": len(val)})
    history = fit(net, fit_on, val, cfg, checkpoint=ckpt / "convnet.pt",
                  augment=make_augment(base["backbone"]["augment"], "backbone.augment"),
                  desc="Fig. 8 ConvNet as a classifier", progress=progress)
    net.eval()
    stats = {"embedding_val_acc": history.test_acc[-1], "embedding_test_acc": accuracy(net, test)}
    embedding = net[:-1]                  # up to the flattened 128 x 16 (or width x 16) features
    for p in embedding.parameters():
        p.requires_grad_(False)
    return embedding, stats


def run_ablation(config: dict, profile: str, progress: bool = True, *, experiment: str) -> dict:
    """Which ingredient the references need: a class-balanced random sample of
    ``sample_size`` training images is distilled by a shorter hierarchy (``group_sizes``,
    down to one image per class) once per variant of ``variants`` (each changes the
    ``distill`` settings, the ``loss``, the ``group_sizes`` or the ``iterations`` of the
    base experiment's cpu settings), and every level is judged as Sec. IV judges the full
    hierarchy: nearest reference by angle in the base experiment's trained backbone (the
    same checkpoint), plus where the top level sits against the class centroids and how
    much high-frequency power it has. The top level of every variant named in ``convnet_test``,
    the sample's class mean and one random real image per class also take the ConvNet test of
    the distillation literature (the base experiment's ``convnet_eval``)."""
    check_choice("experiment", experiment, tuple(ABLATIONS))
    base = {**config["base"], "seed": config["seed"]}
    start = time.perf_counter()
    train, train_std, test_std, mean, std = standardised_data(base["dataset"], base["train_size"], base["test_size"],
                                                             config["seed"])
    sample = train_std.subset(config["sample_size"], config["seed"])
    n_classes = int(train.labels.max()) + 1

    with another_runs_checkpoints():   # distillation_<dataset>'s backbone
        backbone = backbone_judge(base, train_std, test_std, n_classes,
                                  backbone_checkpoint(base, profile, ABLATIONS[experiment]), progress)
    model, judge = backbone.model, backbone.judge
    convnet_variants = list(config.get("convnet_test") or [])
    unknown = set(convnet_variants) - set(config["variants"])
    if unknown:
        raise ValueError(f"convnet_test names variant(s) {sorted(unknown)} that the ablation does not have; "
                         f"its variants: {', '.join(config['variants'])}")
    rows = {}
    for name, variant in config["variants"].items():
        sizes = variant.get("group_sizes", config["group_sizes"])
        iterations = variant.get("iterations", config["iterations"])
        settings = {**base["distill"], **variant.get("distill", {}), "iterations": iterations}
        loss = variant.get("loss", "euclidean")
        embedding = variant.get("embedding", "random")
        check_choice(f"variant {name!r} embedding", embedding, EMBEDDINGS)
        stage = {"dataset": base["dataset"], "sample_size": config["sample_size"], "seed": config["seed"],
                 "group_sizes": sizes, "distill": settings, "loss": loss,
                 **({"embedding": embedding} if embedding != "random" else {}),
                 # distilled in a trained network: its checkpoint holds only for that network
                 **({"backbone": base["backbone"], "train_size": base["train_size"]} if embedding == "backbone" else {}),
                 **({"embedding_training": variant["embedding_training"]} if embedding == "trained_convnet" else {})}
        fixed_net, extra = None, {}
        if embedding == "backbone":
            fixed_net = FrozenFeatures(model)
        elif embedding == "trained_convnet":
            fixed_net, extra = trained_convnet_embedding(base, train_std, test_std, variant["embedding_training"],
                                                         profile, experiment, progress)
        levels = distill.distill_hierarchy(
            sample.images, sample.labels, n_classes, sizes,
            level_configs({"distill": settings, "group_sizes": sizes, "seed": config["seed"]}, loss),
            level0="uneven", seed=config["seed"], checkpoint_dir=checkpoint_dir(profile, f"{experiment}-{name}", stage),
            progress=progress, desc=f"{experiment}/{name}", fixed_net=fixed_net)
        judged = [judge(level.references) for level in levels]
        accs = {f"D{k}": j["acc"] for k, j in enumerate(judged, start=1)}
        top = levels[-1].references
        rows[name] = {"reference_acc": accs, "top_acc": accs[f"D{len(levels)}"],
                      "alignment": judged[-1]["alignment"],
                      "high_freq": distill.high_frequency_fraction(to_pixels(top, mean, std).flatten(0, 1)),
                      "seconds": sum(level.seconds for level in levels), **extra}
        if name in convnet_variants:
            rows[name]["convnet_acc"] = stored_convnet_accuracy(
                base, top, test_std, progress, f"{name}, top level",
                checkpoint_dir(profile, f"{experiment}-{name}-convnet", {**stage, "convnet_eval": base["convnet_eval"]}))
        if progress:
            print(f"{name}: top level {rows[name]['top_acc']:.4f} in {rows[name]['seconds']:.0f}s", flush=True)
    random_real = random_real_images(sample, n_classes, 1, config["seed"])
    random_acc = judge(random_real)["acc"]
    baselines = {}
    if convnet_variants:      # the ConvNet test of references that need no distillation, from the same sample
        for key, refs in (("class_mean", class_mean_images(sample, n_classes)), ("random_real", random_real)):
            baselines[key] = stored_convnet_accuracy(
                base, refs, test_std, progress, key.replace("_", " "),
                checkpoint_dir(profile, f"{experiment}-{key}-convnet",
                               {"dataset": base["dataset"], "sample_size": config["sample_size"],
                                "seed": config["seed"], "convnet_eval": base["convnet_eval"]}))
    return {"variants": rows, "dataset": base["dataset"], "sample_size": config["sample_size"],
            "convnet_baselines": baselines,
            "backbone_test_acc": backbone.test_acc, "random_real_acc": random_acc, "ceiling_acc": backbone.ceiling,
            "device": str(default_device()), "seconds": time.perf_counter() - start}


IN_BACKBONE = {"distill_in_backbone": "distillation_mnist", "distill_in_backbone_cifar10": "distillation_cifar10"}


def run_in_backbone(config: dict, profile: str, progress: bool = True, *, experiment: str) -> dict:
    """The other reading of Eq. (5)'s f: the trained backbone that judges the references
    (Sec. IV: "the nonlinear mapping represented by the neural network which produces the
    embedding vector") instead of Fig. 8's random ConvNets. The base experiment's whole
    hierarchy (its data, group sizes, iterations, lambda) is distilled with ``losses`` in
    the frozen embedding of the base's trained backbone (the same checkpoint); ``step``
    changes only how a step is computed (precision, layout, subsets per chunk). Every level
    is judged as Sec. IV judges it, beside the class-mean image, one random real image per
    class and the class centroids; the top level also takes the literature's ConvNet test
    (the base's ``convnet_eval``)."""
    check_choice("experiment", experiment, tuple(IN_BACKBONE))
    for loss in config["losses"]:
        check_choice("losses", loss, tuple(distill.LOSSES))
    base = {**config["base"], "seed": config["seed"]}
    start = time.perf_counter()
    train, train_std, test_std, mean, std = standardised_data(base["dataset"], base["train_size"], base["test_size"],
                                                             config["seed"])
    n_classes = int(train.labels.max()) + 1
    with another_runs_checkpoints():   # distillation_<dataset>'s backbone
        backbone = backbone_judge(base, train_std, test_std, n_classes,
                                  backbone_checkpoint(base, profile, IN_BACKBONE[experiment]), progress)
    judge = backbone.judge
    settings = {**base["distill"], **config["step"]}
    frozen = FrozenFeatures(backbone.model)
    levels, arrays = {}, {}
    for loss in config["losses"]:
        stage = {**{k: base[k] for k in ("dataset", "train_size", "seed", "group_sizes", "level0", "backbone")},
                 "distill": settings, "loss": loss}
        hierarchy = distill.distill_hierarchy(
            train_std.images, train_std.labels, n_classes, base["group_sizes"],
            level_configs({**base, "distill": settings}, loss), level0=base["level0"], seed=config["seed"],
            checkpoint_dir=checkpoint_dir(profile, f"{experiment}-{loss}", stage),
            progress=progress, desc=f"{experiment}/{loss}", fixed_net=frozen)
        rows = []
        for k, level in enumerate(hierarchy, start=1):
            judged = judge(level.references)
            pixels = to_pixels(level.references, mean, std)
            rows.append({"level": k, "images_per_class": pixels.shape[0], "acc": judged["acc"],
                         "alignment": judged["alignment"], "seconds": level.seconds,
                         "high_freq": distill.high_frequency_fraction(pixels.flatten(0, 1))})
            arrays[f"{loss}_level{k}"] = to_uint8(pixels[:base["figure_samples"]])
        top = hierarchy[-1].references
        convnet = (stored_convnet_accuracy(base, top, test_std, progress, f"top level ({loss}, in the backbone)",
                                           checkpoint_dir(profile, f"{experiment}-{loss}-convnet",
                                                          {**stage, "convnet_eval": base["convnet_eval"]}))
                   if config["convnet_test"] else None)
        levels[loss] = {"levels": rows, "convnet_acc": convnet}
        if progress:
            print(f"{loss}: top level {rows[-1]['acc']:.4f}", flush=True)
    return {"dataset": base["dataset"], "group_sizes": base["group_sizes"], "losses": levels,
            "backbone_test_acc": backbone.test_acc,
            "class_mean_acc": judge(class_mean_images(train_std, n_classes))["acc"],
            "random_real_acc": judge(random_real_images(train_std, n_classes, 1, config["seed"]))["acc"],
            "ceiling_acc": backbone.ceiling,
            "device": str(default_device()), "seconds": time.perf_counter() - start, "arrays": arrays}


def claims_in_backbone(result: dict) -> dict[str, float]:
    ds = result["dataset"]
    out = {}
    if "euclidean" in result["losses"]:
        eq5 = result["losses"]["euclidean"]
        out[f"distill_ref_in_backbone_{ds}_acc"] = eq5["levels"][-1]["acc"]
        if eq5["convnet_acc"]:
            out[f"distill_convnet_in_backbone_{ds}_acc"] = float(np.mean(eq5["convnet_acc"]))
    return out


DM_FLAT = {"distill_dm_flat": "mnist", "distill_dm_flat_cifar10": "cifar10"}


def run_dm_flat(config: dict, profile: str, progress: bool = True, *, experiment: str) -> dict:
    """Ref. 63's own method as a baseline: distribution matching straight from the whole
    training set to ``dm.ipc`` images per class (:func:`cgcore.distill.distribution_matching`),
    evaluated by the ConvNet test of the hierarchy (``convnet_eval``, Ref. 63's protocol)."""
    check_choice("experiment", experiment, tuple(DM_FLAT))
    start = time.perf_counter()
    train, train_std, test_std, mean, std = standardised_data(config["dataset"], config["train_size"],
                                                             config["test_size"], config["seed"])
    images = train_std.images
    n_classes = int(train.labels.max()) + 1
    cfg = distill.DMConfig(**config["dm"], seed=config["seed"])
    ckpt = checkpoint_dir(profile, experiment, {k: config[k] for k in ("dataset", "train_size", "seed", "dm")})
    path = ckpt / "references.pt"
    if path.exists():
        level = distill.LevelResult(**load_checkpoint(path))
        note_restored_seconds(level.seconds)
    else:
        level = distill.distribution_matching(images, train.labels, n_classes, cfg, progress=progress,
                                              desc=f"{experiment}")
        save_atomic(asdict(level), path)
    accs = convnet_accuracy(config, level.references, test_std, progress, desc="flat DM references")
    pixels = to_pixels(level.references, mean, std)
    return {"dataset": config["dataset"], "images_per_class": cfg.ipc, "convnet_acc": accs,
            "loss_every_10": level.loss[::10], "distill_seconds": level.seconds,
            "embed_seconds": level.embed_seconds, "high_freq": distill.high_frequency_fraction(pixels.flatten(0, 1)),
            "device": str(default_device()), "seconds": time.perf_counter() - start,
            "arrays": {"references": to_uint8(pixels)}}


def claims_dm_flat(result: dict) -> dict[str, float]:
    return {f"distill_dm_flat_{result['images_per_class']}ipc_{result['dataset']}_acc":
            float(np.mean(result["convnet_acc"]))}


def runners() -> dict:
    return {**{name: (partial(run, experiment=name), claims) for name in NAMES},
            **{name: (run_budget, lambda result: {}) for name in BUDGETS},
            **{name: (partial(run_dm_flat, experiment=name), claims_dm_flat) for name in DM_FLAT},
            **{name: (partial(run_ablation, experiment=name), lambda result: {}) for name in ABLATIONS},
            **{name: (partial(run_in_backbone, experiment=name), claims_in_backbone) for name in IN_BACKBONE}}
