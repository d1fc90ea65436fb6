"""Sec. III, Eq. (3): accuracy vs expansion order (Fig. 2), pruning, quadratic weights (Figs. 3, 13)."""

from __future__ import annotations

import numpy as np

from ..data import load_dataset
from ..models import count_parameters
from ..paper import PAPER
from ..profiles import SETTING_DEFAULTS
from ..results import checkpoint_dir, trained_epochs
from ..taylor import TaylorExpansion, quadratic_coefficients, quadratic_coefficients_at_zero
from ..train import accuracy, default_device, fit, predict, seed_everything
from .common import check_candidates, locality_by_basis, make_augment, pruned_accuracies, train_config, training_images
from .taylor_kernel_paired import mcnemar

NAME = "taylor_expansion"
ABLATION = "taylor_ablation"
# Sec. III's order 4 with other training settings, chosen on a validation split
TUNING = "taylor_order4_tuning"
# Sec. III's order 4 trained for a first length (set by hand for the time budget) and for more,
# on the same split: the length validation picks is the one the chapter trains it for
EPOCHS = "taylor_order4_epochs"
# The same for the lower orders: each trained for its first length and for ``longer_factor``
# times as many epochs, on the same split
LOW_ORDERS_EPOCHS = "taylor_low_orders_epochs"
# Eq. (3) fit by gradient descent in the max-margin machines' geometry: the length of each
# order chosen on the same split, then trained on all the training images and tested once
KERNEL_GEOMETRY = "taylor_kernel_geometry"
# The chapter's first fit (standardised terms, Adam) on all the training images, kept beside the
# fit validation chose
FIRST_FIT = "taylor_first_fit"


def run(config: dict, profile: str, progress: bool = True, keep_correct: bool = False) -> dict:
    """Each order of ``config["orders"]`` of Eq. (3) trained and tested; with ``keep_correct``,
    also ``"test_correct"``: order -> which test images it classifies right (not for storing)."""
    device = default_device()
    seed_everything(config["seed"])
    load = dict(size=config["image_size"], antialias=config["antialias"])
    test = load_dataset(config["dataset"], "test", **load).subset(config["test_size"], config["seed"])
    # An affine augmentation acts on the 28x28 originals, each batch then resized like the
    # test images (cgcore.experiments.common.make_augment).
    train = training_images(config["dataset"], config["augment"], config["train_size"], config["seed"], **load)
    augment = make_augment(config["augment"], dataset=config["dataset"], **load)
    val = None
    if config.get("val_size"):
        # held out of the training set for the choices the book makes (the same images in
        # both resolutions: the split is a function of the labels and the seed)
        train, val = train.split(config["val_size"], config["seed"])
        if augment:   # train holds the 28x28 originals; validate on the resized copies of the same images
            _, val = (load_dataset(config["dataset"], "train", **load).subset(config["train_size"], config["seed"])
                      .split(config["val_size"], config["seed"]))
    n_vars = test.images[0].numel()
    side = int(round(n_vars ** 0.5))
    ckpt_dir = checkpoint_dir(profile, NAME, config)

    orders, pruning, quadratic, locality, correct = {}, {}, None, {}, {}
    for order, epochs in zip(config["orders"], config["epochs"], strict=True):
        seed_everything(config["seed"])
        model = TaylorExpansion(n_vars, order, expansion_point=config["expansion_point"],
                                degree_scale=config.get("degree_scale", SETTING_DEFAULTS["degree_scale"]),
                                weighting=config.get("weighting", SETTING_DEFAULTS["weighting"])).to(device)
        sample = train.images[:config["standardize_samples"]]
        model.fit_standardization(augment(sample) if augment else sample)  # stats of what training sees
        train_cfg = train_config(config, config["seed"], epochs=epochs)
        history = fit(model, train, test, train_cfg, checkpoint=ckpt_dir / f"order{order}.pt",
                      augment=augment, desc=f"order {order}", progress=progress)
        orders[order] = {
            "terms": model.n_terms,
            "params": count_parameters(model),
            "test_acc": history.test_acc[-1],
            "train_acc": history.train_acc[-1],
            "train_seconds": float(np.sum(history.seconds)),
            "history": history.as_dict(),
            **({"val_acc": accuracy(model, val)} if val is not None else {}),
        }
        if keep_correct:
            correct[order] = (predict(model, test.images).argmax(1) == test.labels).numpy()
        if order == config["prune_order"]:
            pruning = {"order": order, **pruned_accuracies(model, config["prune_keep"], test), "fine_tuned": False}
        if order >= 2:
            maps = quadratic_coefficients(model)
            iu = np.triu_indices(n_vars)
            at_zero = quadratic_coefficients_at_zero(model)
            # Fig. 3's locality at every order, in both bases: does the order decide it?
            locality[order] = locality_by_basis({"u": maps, "x_at_zero": at_zero}, side)
        if order >= 2 and (quadratic is None or order == config["prune_order"]):
            quadratic = {"order": order, "side": side,
                         "expansion_point": config["expansion_point"],
                         "upper": np.float32(maps[:, iu[0], iu[1]]).round(7),
                         # Fig. 3 in the paper's basis: coefficients of x_i x_j at the black image
                         "upper_at_zero": np.float32(at_zero[:, iu[0], iu[1]]).round(7)}

    return {
        "orders": orders,
        "pruning": pruning,
        "quadratic": quadratic,
        "locality_by_order": locality,
        "n_train": len(train),
        "n_val": len(val) if val is not None else 0,
        "n_test": len(test),
        **({"test_correct": correct} if keep_correct else {}),
    }


def run_first_fit(config: dict, profile: str, progress: bool = True) -> dict:
    """:func:`run` with ``config["base"]``'s settings (taylor_expansion's, with the first fit's
    weighting and optimizer) and the config's own orders, lengths and seed."""
    own = {k: v for k, v in config.items() if k not in ("base", "base_experiment")}
    return run({**config["base"], **own}, profile, progress=progress)


def claims_first_fit(result: dict) -> dict[str, float]:
    """taylor_order<n>_first_fit_acc: each order's test accuracy, for the orders with a claim."""
    return {f"taylor_order{order}_first_fit_acc": row["test_acc"] for order, row in result["orders"].items()
            if f"taylor_order{order}_first_fit_acc" in PAPER}


def run_ablation(config: dict, profile: str, progress: bool = True) -> dict:
    """Validation and test accuracy per order for each variant of the open choices (resize,
    expansion point, augmentation), every other setting as in ``config["base"]``. Each is
    trained without ``val_size`` images held out of the training set; the book's choice is
    the variant with the best validation accuracy at the highest order."""
    variants = {}
    for name, settings in config["variants"].items():
        variant = {**config["base"], "orders": config["orders"], "epochs": config["epochs"],
                   "seed": config["seed"], "prune_order": config["orders"][-1], "val_size": config["val_size"],
                   **settings}
        result = run(variant, profile, progress=progress)
        variants[name] = {"settings": {k: variant[k] for k in ("antialias", "expansion_point", "augment")},
                          "val_acc": {order: row["val_acc"] for order, row in result["orders"].items()},
                          "test_acc": {order: row["test_acc"] for order, row in result["orders"].items()}}
    top = config["orders"][-1]
    chosen = max(variants, key=lambda name: variants[name]["val_acc"][top])
    return {"orders": config["orders"], "epochs": config["epochs"], "val_size": config["val_size"],
            "variants": variants, "chosen_on_validation": chosen}


def run_tuning(config: dict, profile: str, progress: bool = True) -> dict:
    """Order ``config["order"]`` of Eq. (3) trained for ``config["epochs"]`` epochs with each of
    ``config["candidates"]`` (name -> changes to ``config["base"]``'s settings: optimizer,
    weight decay, learning rate, augmentation, or ``epochs``, a number), on the training set
    less ``val_size`` held-out images. The candidate with the best validation accuracy is
    chosen; every candidate's test accuracy is stored beside it, read only after the choice."""
    candidates = config["candidates"]
    check_candidates(candidates, {**SETTING_DEFAULTS, **config["base"], "epochs": config["epochs"]})
    order, rows = config["order"], {}
    for name, changes in candidates.items():
        settings = {k: v for k, v in changes.items() if k != "epochs"}
        variant = {**config["base"], "orders": [order], "epochs": [changes.get("epochs", config["epochs"])],
                   "seed": config["seed"], "val_size": config["val_size"], "prune_order": None, **settings}
        result = run(variant, profile, progress=progress)
        row = result["orders"][order]
        rows[name] = {"changes": changes, "val_acc": row["val_acc"], "test_acc": row["test_acc"],
                      "train_acc": row["train_acc"], "train_seconds": row["train_seconds"], "history": row["history"]}
    chosen = max(rows, key=lambda name: rows[name]["val_acc"])
    return {"order": order, "epochs": config["epochs"], "val_size": config["val_size"], "candidates": rows,
            "chosen": chosen, "n_test": result["n_test"]}


def run_lengths(config: dict, profile: str, progress: bool = True) -> dict:
    """Each order of ``config["checked_orders"]`` trained for its first length (``epochs``, one
    entry per checked order) and for ``config["longer_factor"]`` times as many epochs, on the
    training set less ``val_size`` held-out images (:func:`run_tuning`, one run per order):
    the length validation picks, and both test accuracies read after the choice."""
    if config["longer_factor"] <= 1:
        raise ValueError(f"longer_factor must be more than 1 (times the first length), got {config['longer_factor']}")
    unknown = sorted(set(config["checked_orders"]) - set(config["base"]["orders"]))
    if unknown:
        raise ValueError(f"checked_orders {unknown} are not orders of taylor_expansion; "
                         f"accepted: {config['base']['orders']}")
    if len(config["epochs"]) != len(config["checked_orders"]):
        raise ValueError(f"epochs {config['epochs']} must give one first length per checked order "
                         f"{config['checked_orders']}")
    runs = {}
    for order, epochs in zip(config["checked_orders"], config["epochs"]):
        candidates = {"the first length": {},
                      f"{config['longer_factor']:g} times as long": {"epochs": round(config["longer_factor"] * epochs)}}
        runs[order] = run_tuning({**config, "order": order, "epochs": epochs, "candidates": candidates},
                                 profile, progress=progress)
    return {"orders": runs, "val_size": config["val_size"], "longer_factor": config["longer_factor"],
            "n_test": next(iter(runs.values()))["n_test"]}


def run_kernel_geometry(config: dict, profile: str, progress: bool = True) -> dict:
    """``config["orders"]`` of Eq. (3) trained with ``config["settings"]`` (the kernel machines'
    weighting of the terms, SGD) in place of the chapter's. Each order's length is
    chosen on ``val_size`` held-out training images between its first length (``epochs``) and
    ``longer_factor`` times as many (:func:`run_lengths`); then every order is trained for the
    length chosen on the whole training set and tested once (:func:`run`), and the two highest
    orders are compared image by image (McNemar's test)."""
    base = {**config["base"], **config["settings"], "orders": config["orders"]}
    lengths = run_lengths({"base": base, "seed": config["seed"], "val_size": config["val_size"],
                           "checked_orders": config["orders"], "epochs": config["epochs"],
                           "longer_factor": config["longer_factor"]}, profile, progress=progress)
    chosen = {order: trained_epochs(run["candidates"][run["chosen"]]) for order, run in lengths["orders"].items()}
    final_config = {**base, "orders": config["orders"], "epochs": [chosen[order] for order in config["orders"]],
                    "seed": config["seed"], "val_size": None, "prune_order": None}
    final = run(final_config, profile, progress=progress, keep_correct=True)
    correct = final.pop("test_correct")
    # the two highest orders on the same test images, image by image (McNemar's test)
    low, high = sorted(config["orders"])[-2:]
    paired = {"orders": [low, high], **mcnemar(correct[low], correct[high]),
              "test_acc": {order: float(correct[order].mean()) for order in (low, high)}}   # image by image
    return {"settings": config["settings"], "lengths": lengths, "chosen_epochs": chosen, **final, "paired": paired}


def claims_tuning(result: dict) -> dict[str, float]:
    """The test accuracy of the candidate chosen on validation, for the order the paper
    states a number for (order 4; the smoke profile tunes order 2 and has no claim)."""
    claim = f"taylor_order{result['order']}_tuned_acc"
    return {claim: result["candidates"][result["chosen"]]["test_acc"]} if claim in PAPER else {}


def claims(result: dict) -> dict[str, float]:
    """Scorecard values (claim id -> ours) from a stored result."""
    out = {}
    for order, row in result["orders"].items():
        out[f"taylor_order{order}_acc"] = row["test_acc"]
        if int(order) == 4:
            out["taylor_order4_terms"] = row["terms"]
            out["taylor_order4_params"] = row["params"]
    pruning = result.get("pruning") or {}
    for keep, acc in zip(pruning.get("keep", []), pruning.get("test_acc", [])):
        out[f"taylor_prune{int(round(keep * 100))}_acc"] = acc
    for keep, acc in zip(pruning.get("keep", []), pruning.get("test_acc_centred", [])):
        out[f"taylor_prune{int(round(keep * 100))}_centred_acc"] = acc
    return out


def runners() -> dict:
    """name -> (run, claims) for cgcore.experiments.EXPERIMENTS."""
    return {NAME: (run, claims), ABLATION: (run_ablation, lambda result: {}), TUNING: (run_tuning, claims_tuning),
            EPOCHS: (run_tuning, lambda result: {}), LOW_ORDERS_EPOCHS: (run_lengths, lambda result: {}),
            KERNEL_GEOMETRY: (run_kernel_geometry, lambda result: {}),   # its final fits are the chapter's
            FIRST_FIT: (run_first_fit, claims_first_fit)}
