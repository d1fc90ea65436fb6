"""Sec. III, Figs. 5 and 12: TaylorNets trained on MNIST, 7x7 MNIST and CIFAR-10.

Each TaylorNet experiment trains two models with the same data, schedule and seed:
the TaylorNet (``variants["taylornet"]``) and its ablation with every CG replaced by a
convolution of the same shape (``variants["cg_as_conv"]``, Sec. III: "if we replace the
CG operations with the convolution operations in the whole neural network, the accuracy
will drop by about 7.3% and 30%"). ``resnet_mnist7`` trains the residual baseline of
Sec. III on 7x7 MNIST the same way. ``taylornet_fashion`` trains Fig. 5's TaylorNet and its
equal-size twins on Fashion-MNIST with MNIST's recipe (beyond the paper), and
``taylornet_mnist_float32`` Fig. 5's TaylorNet in float32 (the others of Fig. 5 and 12 train in
bfloat16 autocast with NHWC activations).

Config keys (see ``cgcore.profiles``): ``dataset``, ``model`` (a builder of
``cgcore.models``), ``model_kwargs``, ``variants`` (name -> extra builder arguments),
``antialias`` (7x7 MNIST only), ``train_size``/``test_size``, ``normalize``
(``"per_channel"`` or None), ``augment`` (None, ``{"kind": "affine", ...}`` or
``{"kind": "crop_flip", "padding": 4, "flip": True}``) and the training settings of
:class:`cgcore.train.TrainConfig`.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial

import numpy as np
from torch import nn

from .. import models
from ..checks import check_choice
from ..data import IMAGE_SHAPE, load_dataset, resize_mnist
from ..models import count_parameters
from ..paper import PAPER
from ..results import another_runs_checkpoints, checkpoint_dir, load_checkpoint
from ..train import accuracy, default_device, fit, seed_everything
from .common import Standardize, channel_stats, check_candidates, make_augment, train_config, training_images

TAYLORNETS = ("taylornet_mnist", "taylornet_mnist7", "taylornet_cifar10")
RESNET = "resnet_mnist7"
# Beyond the paper: Fig. 5's TaylorNet and its twins on Fashion-MNIST, a fourth data set
FASHION = "taylornet_fashion"
# Fig. 5's TaylorNet trained in float32, against taylornet_mnist's bfloat16 autocast: does a
# polynomial of degree 16 keep its accuracy at bf16's 8-bit mantissa?
FLOAT32 = "taylornet_mnist_float32"
NAMES = TAYLORNETS + (RESNET, FASHION, FLOAT32)
# Fig. 5's TaylorNet with a recipe chosen on a validation split: ``candidates`` (each a
# change of the training settings), every one trained on the training set less the split,
# the one best on the split reported on the test set
TUNED = "taylornet_mnist_tuned"
# The chosen recipe trained longer on the same images and split: would a longer one have won?
LONGER = "taylornet_mnist_longer"
# The chosen recipe with its weights averaged (TrainConfig.ema_decay) over the same run, refit
AVERAGED = "taylornet_mnist_averaged"
# Its networks, trained and averaged weights, read with test-time augmentation: each image's
# logits averaged over the image and random copies drawn as in training, chosen on validation
TTA = "taylornet_mnist_tta"
# Beyond the paper: each TaylorNet's equal-size twins (models.relu_twin, models.pinet_twin),
# trained with its data and recipe
BASELINES = tuple(name.replace("taylornet_", "baselines_") for name in TAYLORNETS)
BUILDERS = {name: getattr(models, name) for name in TAYLORNETS + (RESNET,)}
NORMALIZE = ("per_channel", None)
TWINS = ("relu", "pinet")

# variant -> the prefix of its claim ids (``<prefix>_<dataset>_acc`` and, where the paper
# states one, ``<prefix>_<dataset>_params``)
CLAIM_PREFIX = {"taylornet": "taylornet", "cg_as_conv": "conv_ablation", "resnet": "resnet",
                "taylornet_after_cg2": "taylornet_after_cg2", "relu_cnn": "relu_cnn", "pinet": "pinet",
                "taylornet_float32": "taylornet_float32"}


def load_data(config: dict):
    """(train, test, augment) for ``config``: class-balanced subsets of the training and
    test sets. With affine augmentation of 7x7 MNIST the training images are the 28x28
    originals (the augmentation resizes them)."""
    dataset, antialias = config["dataset"], config.get("antialias", True)
    extra = {"antialias": antialias} if dataset == "mnist7" else {}
    test = load_dataset(dataset, "test", **extra).subset(config["test_size"], config["seed"])
    train = training_images(dataset, config["augment"], config["train_size"], config["seed"], antialias=antialias)
    return train, test, make_augment(config["augment"], dataset=dataset, antialias=antialias)


def network_channel_stats(config: dict, train) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of the training images as the network sees them
    without augmentation (7x7 for mnist7)."""
    images = train.images
    if config["dataset"] == "mnist7" and images.shape[-1] != 7:
        images = resize_mnist(images, size=7, antialias=config["antialias"])
    mean, std = channel_stats(images)
    return mean.tolist(), std.tolist()


def build_model(config: dict, variant: str, stats=None) -> nn.Module:
    """The network of ``variant``, preceded by a :class:`Standardize` layer when
    ``config["normalize"]`` asks for one (``stats`` = (mean, std) per channel)."""
    check_choice("normalize", config["normalize"], NORMALIZE)
    kwargs = {**config["model_kwargs"], **config["variants"][variant]}
    twin, builder = kwargs.pop("twin", None), BUILDERS[config["model"]]
    if twin is None:
        net = builder(**kwargs)
    else:
        check_choice("twin", twin, TWINS)
        channels, _, size = IMAGE_SHAPE[config["dataset"]]
        net = (models.relu_twin(builder, **kwargs) if twin == "relu"
               else models.pinet_twin(builder, channels, size, **kwargs))[0]
    if config["normalize"] is None:
        return net
    if stats is None:
        raise ValueError("normalize='per_channel' needs the channel statistics")
    return nn.Sequential(OrderedDict([("standardize", Standardize(*stats)), ("net", net)]))


def seeded_model(config: dict, variant: str, train) -> nn.Module:
    """:func:`build_model` of ``variant`` on the default device, standardised by ``train``'s
    channel statistics when the config asks for it, its weights drawn from ``config["seed"]``."""
    stats = network_channel_stats(config, train) if config["normalize"] else None
    seed_everything(config["seed"])
    return build_model(config, variant, stats).to(default_device())


def run(config: dict, profile: str, progress: bool = True, *, experiment: str) -> dict:
    """Train every variant of ``config`` and return accuracies, parameter counts,
    per-epoch curves and training times."""
    check_choice("experiment", experiment, NAMES + BASELINES)
    check_choice("model", config["model"], tuple(BUILDERS))
    device = default_device()
    seed_everything(config["seed"])
    train, test, augment = load_data(config)
    stats = network_channel_stats(config, train) if config["normalize"] else None
    ckpt_dir = checkpoint_dir(profile, experiment, config)
    out = {}
    for variant in config["variants"]:
        seed_everything(config["seed"])
        model = build_model(config, variant, stats).to(device)
        history = fit(model, train, test, train_config(config, config["seed"]), checkpoint=ckpt_dir / f"{variant}.pt",
                      augment=augment, desc=f"{experiment}/{variant}", progress=progress)
        out[variant] = {
            "builder_kwargs": {**config["model_kwargs"], **config["variants"][variant]},
            "params": count_parameters(model),
            "test_acc": history.test_acc[-1],
            "best_test_acc": max(history.test_acc),
            "train_acc": history.train_acc[-1],
            "train_seconds": float(np.sum(history.seconds)),
            "history": history.as_dict(),
        }
    return {
        "experiment": experiment,
        "dataset": config["dataset"],
        "model": config["model"],
        "models": out,
        "n_train": len(train),
        "n_test": len(test),
        "device": str(device),
        "channel_stats": stats,
    }


def run_tuned(config: dict, profile: str, progress: bool = True, *, experiment: str = TUNED) -> dict:
    """Each of ``config["candidates"]`` (name -> changes to the training settings, e.g.
    ``augment`` or ``epochs``) trains the TaylorNet on the training set less a seeded,
    class-stratified validation split of ``val_size`` images, its per-epoch accuracies
    measured on that split; the candidate with the best final validation accuracy is
    chosen, and only then is the test set used: every candidate's final test accuracy is
    stored. With ``config["refit"]`` the chosen recipe is then trained on the whole training
    set (:func:`refit_chosen`) and that network's test accuracy is the claim; without, the
    chosen candidate's."""
    check_choice("experiment", experiment, (TUNED, LONGER, AVERAGED))
    device = default_device()
    candidates = config["candidates"]
    check_candidates(candidates, config)
    rows = {}
    for name, changes in candidates.items():
        # A candidate's run depends on its own settings only: adding a candidate leaves the
        # others' checkpoints where they are.
        c = candidate_config(config, name)
        seed_everything(c["seed"])
        train, test, augment = load_data(c)
        fit_on, val = train.split(c["val_size"], c["seed"])
        model = seeded_model(c, "taylornet", fit_on)
        cfg = train_config(c, c["seed"])
        checkpoint = checkpoint_dir(profile, experiment, c) / "taylornet.pt"
        history = fit(model, fit_on, val, cfg, checkpoint=checkpoint, augment=augment, desc=f"{experiment}/{name}",
                      progress=progress)
        rows[name] = {"changes": changes, "params": count_parameters(model), "val_acc": history.test_acc[-1],
                      "test_acc": accuracy(model.eval(), test, precision=cfg.precision),
                      "train_acc": history.train_acc[-1], "train_seconds": float(np.sum(history.seconds)),
                      "history": history.as_dict()}
        if history.raw_test_acc:   # weights averaged: the trained weights' accuracies beside
            rows[name]["raw_val_acc"] = history.raw_test_acc[-1]
            rows[name]["raw_test_acc"] = accuracy(trained_weights(c, fit_on, checkpoint), test, precision=cfg.precision)
    chosen = max(rows, key=lambda name: rows[name]["val_acc"])
    out = {"experiment": experiment, "dataset": config["dataset"], "model": config["model"],
           "candidates": rows, "chosen": chosen, "val_size": config["val_size"],
           "n_train": len(fit_on), "n_test": len(test), "device": str(device)}
    if config.get("refit"):
        out["refit"] = refit_chosen(config, chosen, profile, progress, experiment=experiment)
    return out


def candidate_config(config: dict, name: str) -> dict:
    """The settings one candidate of a tuning run trains with: the run's, changed by the
    candidate's, without the run-level keys (so adding a candidate, or the refit, leaves
    every candidate's checkpoints where they are)."""
    return {k: v for k, v in {**config, **config["candidates"][name]}.items() if k not in ("candidates", "refit")}


def refit_chosen(config: dict, chosen: str, profile: str, progress: bool = True, *, experiment: str = TUNED) -> dict:
    """The recipe chosen on validation trained once more, same seed and settings, on the
    whole training set (the validation split included): the usual last step of a model
    selection, so the reported network has seen every training image. Nothing is chosen
    from this run; its per-epoch curve is measured on the test set for the record."""
    c = candidate_config(config, chosen)
    seed_everything(c["seed"])
    train, test, augment = load_data(c)
    model = seeded_model(c, "taylornet", train)
    history = fit(model, train, test, train_config(c, c["seed"]),
                  checkpoint=checkpoint_dir(profile, f"{experiment}-refit", c) / "taylornet.pt",
                  augment=augment, desc=f"{experiment}/refit {chosen}", progress=progress)
    out = {"candidate": chosen, "n_train": len(train), "test_acc": history.test_acc[-1],
           "train_acc": history.train_acc[-1], "train_seconds": float(np.sum(history.seconds)),
           "history": history.as_dict()}
    if history.raw_test_acc:   # weights averaged: the trained weights' test accuracy, same run
        out["raw_test_acc"] = history.raw_test_acc[-1]
    return out


def run_tta(config: dict, profile: str, progress: bool = True) -> dict:
    """The networks of ``config["base_experiment"]`` (taylornet_mnist_averaged: its candidate,
    trained without the validation split, and its refit on all training images), each with
    its trained and its averaged weights, read with ``d`` test-time draws for every ``d`` of
    ``config["draws"]``: the logits of an image averaged over it and ``d`` copies augmented as
    in training (0: the image alone). The reading best on the validation split is chosen,
    and only then is the refit read on the test set, every reading's test accuracy stored
    for the record. The networks are loaded from the base run's checkpoints, or trained
    again to them when there are none (the same seeded run)."""
    base = {**config["base"], "seed": config["seed"]}
    (name,) = base["candidates"]
    c = candidate_config(base, name)
    seed_everything(c["seed"])
    train, test, augment = load_data(c)
    if augment is None:
        raise ValueError(f"{config['base_experiment']}'s recipe has no augmentation to draw test-time copies with")
    fit_on, val = train.split(c["val_size"], c["seed"])
    precision = train_config(c, c["seed"]).precision
    with another_runs_checkpoints():
        on_val = _trained_and_averaged(c, fit_on, val, checkpoint_dir(profile, AVERAGED, c) / "taylornet.pt",
                                       augment, progress)
        on_test = _trained_and_averaged(c, train, test,
                                        checkpoint_dir(profile, f"{AVERAGED}-refit", c) / "taylornet.pt",
                                        augment, progress)
    rows = {f"{weights} weights, {draws} draws": {
        "weights": weights, "draws": draws,
        "val_acc": accuracy(on_val[weights], val, precision=precision, augment=augment, draws=draws)}
        for weights in ("trained", "averaged") for draws in config["draws"]}
    chosen = max(rows, key=lambda key: rows[key]["val_acc"])      # ties: the first, fewest draws
    for row in rows.values():
        row["test_acc"] = accuracy(on_test[row["weights"]], test, precision=precision, augment=augment,
                                   draws=row["draws"])
    return {"dataset": c["dataset"], "candidate": name, "readings": rows, "chosen": chosen,
            "val_size": c["val_size"], "n_train": len(train), "n_test": len(test)}


def _trained_and_averaged(c: dict, train, measured, checkpoint, augment, progress: bool) -> dict:
    """{"trained": ..., "averaged": ...}: the network that ``fit`` leaves at ``checkpoint``
    (trained to it if needed), with the weights it trained and with their moving average."""
    averaged = seeded_model(c, "taylornet", train)
    fit(averaged, train, measured, train_config(c, c["seed"]), checkpoint=checkpoint, augment=augment,
        desc=f"{TTA}/{checkpoint.parent.name}", progress=progress)
    return {"trained": trained_weights(c, train, checkpoint), "averaged": averaged.eval()}


def trained_weights(c: dict, train, checkpoint) -> nn.Module:
    """The TaylorNet of ``c`` (standardised by ``train``) in eval mode, with the weights a run
    with weight averaging trained, read from its checkpoint (``fit`` returns the average)."""
    model = seeded_model(c, "taylornet", train)
    model.load_state_dict(load_checkpoint(checkpoint, map_location=default_device())["model"])
    return model.eval()


def claims_tta(result: dict) -> dict[str, float]:
    """The test accuracy of the reading chosen on validation."""
    return {f"taylornet_tta_{result['dataset']}_acc": result["readings"][result["chosen"]]["test_acc"]}


def tuned_test_acc(result: dict) -> float:
    """The tuning run's reported test accuracy: the refit's when the run refits the chosen
    recipe on the whole training set, else the chosen candidate's."""
    refit = result.get("refit")
    return refit["test_acc"] if refit else result["candidates"][result["chosen"]]["test_acc"]


def claims_tuned(result: dict) -> dict[str, float]:
    """The reported test accuracy, and with a refit also the chosen candidate's before it."""
    out = {f"taylornet_tuned_{result['dataset']}_acc": tuned_test_acc(result)}
    if result.get("refit"):
        out[f"taylornet_tuned_before_refit_{result['dataset']}_acc"] = result["candidates"][result["chosen"]]["test_acc"]
    return out


def claims_averaged(result: dict) -> dict[str, float]:
    """The test accuracy of the network trained without the validation split, with its weights
    averaged and with the weights it trained; with a refit, also the refit's pair."""
    ds, row = result["dataset"], result["candidates"][result["chosen"]]
    out = {f"taylornet_averaged_before_refit_{ds}_acc": row["test_acc"],
           f"taylornet_averaged_raw_before_refit_{ds}_acc": row["raw_test_acc"]}
    if result.get("refit"):
        out.update({f"taylornet_averaged_{ds}_acc": result["refit"]["test_acc"],
                    f"taylornet_averaged_raw_{ds}_acc": result["refit"]["raw_test_acc"]})
    return out


def claims_longer(result: dict) -> dict[str, float]:
    """The test accuracy of the recipe trained longer (its one candidate, not refit)."""
    return {f"taylornet_longer_{result['dataset']}_acc": tuned_test_acc(result)}


def trained_network(experiment: str, profile: str, variant: str = "taylornet", progress: bool = False):
    """(model in eval mode, config, test data) of ``variant`` as ``experiment`` trained it
    under ``profile``: loaded from the run's last checkpoint, or trained to it again when
    there is none (the same seeded run, so the same weights as the stored result's)."""
    from ..profiles import get_config

    check_choice("experiment", experiment, NAMES)
    config = get_config(experiment, profile)
    check_choice("variant", variant, tuple(config["variants"]))
    seed_everything(config["seed"])
    train, test, augment = load_data(config)
    model = seeded_model(config, variant, train)
    with another_runs_checkpoints():   # the network ``experiment`` trained, not work resumed by the caller
        fit(model, train, test, train_config(config, config["seed"]),
            checkpoint=checkpoint_dir(profile, experiment, config) / f"{variant}.pt", augment=augment,
            desc=f"{experiment}/{variant}", progress=progress)
    return model.eval(), config, test


def claims(result: dict) -> dict[str, float]:
    """Scorecard values from a stored result: ``<prefix>_<dataset>_acc`` for every variant
    (final-epoch test accuracy), and ``<prefix>_<dataset>_params`` where the paper states
    a count (prefixes in CLAIM_PREFIX)."""
    out = {}
    for variant, row in result["models"].items():
        prefix = f"{CLAIM_PREFIX[variant]}_{result['dataset']}"
        out[f"{prefix}_acc"] = row["test_acc"]
        if f"{prefix}_params" in PAPER:
            out[f"{prefix}_params"] = row["params"]
    return out


def runners() -> dict:
    """name -> (run, claims) for cgcore.experiments.EXPERIMENTS."""
    return {**{name: (partial(run, experiment=name), claims) for name in NAMES + BASELINES},
            TUNED: (partial(run_tuned, experiment=TUNED), claims_tuned),
            LONGER: (partial(run_tuned, experiment=LONGER), claims_longer),
            AVERAGED: (partial(run_tuned, experiment=AVERAGED), claims_averaged),
            TTA: (run_tta, claims_tta)}
