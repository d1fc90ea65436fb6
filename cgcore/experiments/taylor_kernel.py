"""Eq. (3)'s function class fit another way: a max-margin polynomial-kernel machine.

The kernel k(u, v) = (gamma u.v + 1)^d has as its feature space exactly the monomials of
degree <= d in u (degree k weighted by C(d, k) gamma^k), the terms of Eq. (3) at order d.
scikit-learn's SVC fits that polynomial by the hinge loss with a norm penalty, with no
augmentation and no choice of optimizer, on the same 7x7 images as ``taylor_expansion``. So
it says what polynomials of each degree can do on these images, apart from how we train.
For the degrees in ``augmented_degrees`` it is fit again on the training images plus
``augmented_copies`` copies of them under ``taylor_expansion``'s augmentation, drawn once.

Ten classes can be split two ways (``schemes``): ``one_vs_rest`` fits one polynomial per
class and predicts the class whose polynomial is largest, which is Eq. (3) exactly (ten
outputs, one linear layer on the Taylor terms); ``one_vs_one``, SVC's own, fits a polynomial
for each of the 45 pairs of classes and lets them vote, a larger model than Eq. (3).
"""

from __future__ import annotations

import time

import torch

from ..checks import check_choice
from ..data import TensorData, load_dataset
from ..paper import PAPER
from ..train import seed_everything
from .common import make_augment, training_images

NAME = "taylor_kernel_svm"


# how ten classes are split into two-class problems: one polynomial per class (Eq. (3)'s
# form) or one per pair of classes (SVC's own)
SCHEMES = ("one_vs_rest", "one_vs_one")


def _svc(degree: int, C: float, gamma: float, scheme: str):
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import SVC

    machine = SVC(kernel="poly", degree=degree, gamma=gamma, coef0=1.0, C=C, cache_size=2000)
    return OneVsRestClassifier(machine, n_jobs=2) if scheme == "one_vs_rest" else machine


def _support_vectors(machine) -> int:
    """Support vectors of an SVC, summed over the ten machines of a one-vs-rest fit."""
    if hasattr(machine, "estimators_"):
        return int(sum(m.n_support_.sum() for m in machine.estimators_))
    return int(machine.n_support_.sum())


def _augmented_copies(config: dict, n_copies: int, batch_size: int = 4096) -> list[TensorData]:
    """``n_copies`` augmented 7x7 copies of the training images (the 28x28 originals
    transformed, then resized like the test images), each in the order of the plain ones."""
    load = dict(size=config["image_size"], antialias=config["antialias"])
    originals = training_images(config["dataset"], config["augment"], config["train_size"], config["seed"], **load)
    augment = make_augment(config["augment"], dataset=config["dataset"], **load)
    seed_everything(config["seed"])
    return [TensorData(torch.cat([augment(originals.images[i:i + batch_size])
                                  for i in range(0, len(originals), batch_size)]), originals.labels, originals.name)
            for _ in range(n_copies)]


def _joined(parts: list[TensorData]) -> TensorData:
    return TensorData(torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts]), parts[0].name)


def _fit_degree(degree: int, scheme: str, config: dict, gamma: float, x0, train, val, test, progress: bool,
                label: str) -> dict:
    """C chosen on ``val`` among ``config["C"]`` (fit on ``train[0]``), then refit on ``train[1]``."""
    (x_fit, y_fit), (x_all, y_all) = train
    label = f"{scheme}, {label}"
    val_acc = {}
    for C in config["C"]:
        machine = _svc(degree, C, gamma, scheme).fit(x_fit - x0, y_fit)
        val_acc[str(C)] = float((machine.predict(val[0] - x0) == val[1]).mean())
        if progress:
            print(f"{label}degree {degree}, C = {C}: validation {val_acc[str(C)]:.4f}", flush=True)
    chosen = max(config["C"], key=lambda C: val_acc[str(C)])
    start = time.perf_counter()
    machine = _svc(degree, chosen, gamma, scheme).fit(x_all - x0, y_all)
    fit_seconds = time.perf_counter() - start
    row = {"val_acc": val_acc, "chosen_C": chosen, "test_acc": float((machine.predict(test[0] - x0) == test[1]).mean()),
           "support_vectors": _support_vectors(machine), "n_fit": len(y_all), "fit_seconds": fit_seconds}
    if progress:
        print(f"{label}degree {degree}: C = {chosen}, test {row['test_acc']:.4f}", flush=True)
    return row


def run(config: dict, profile: str, progress: bool = True) -> dict:
    """For each scheme and degree: C chosen on ``val_size`` images held out of the training
    set, then the chosen machine refit on the whole training set and scored once on the test set."""
    for scheme in config["schemes"]:
        check_choice("schemes entry", scheme, SCHEMES)
    load = dict(size=config["image_size"], antialias=config["antialias"])
    train = load_dataset(config["dataset"], "train", **load).subset(config["train_size"], config["seed"])
    test = load_dataset(config["dataset"], "test", **load).subset(config["test_size"], config["seed"])
    # the split is a function of the labels and the seed, so it picks the same images from
    # the augmented copies as from the plain ones
    fit_part, val = train.split(config["val_size"], config["seed"])

    def arrays(data):
        return data.images.flatten(1).double().numpy(), data.labels.numpy()

    plain, fit, val, test = map(arrays, (train, fit_part, val, test))
    # centred at the mean training image, as taylor_expansion's "mean" expansion point; gamma
    # in units of 1 / (n_vars x the pixels' variance), so gamma u.v is of order one
    x0 = plain[0].mean(0)
    gamma = float(config["gamma"] / (plain[0].shape[1] * (plain[0] - x0).var()))
    schemes = {scheme: {"degrees": {d: _fit_degree(d, scheme, config, gamma, x0, (fit, plain), val, test, progress, "")
                                    for d in config["degrees"]}, "augmented": {}}
               for scheme in config["schemes"]}
    if config["augmented_degrees"]:
        copies = _augmented_copies(config, config["augmented_copies"])
        if any(not torch.equal(copy.labels, train.labels) for copy in copies):
            raise RuntimeError("the 28x28 originals and the 7x7 training images are not in the same order")
        # each copy holds the same labels in the same order, so the split leaves out the same images
        fit_copies = [copy.split(config["val_size"], config["seed"])[0] for copy in copies]
        both = (arrays(_joined([fit_part, *fit_copies])), arrays(_joined([train, *copies])))
        for scheme, fits in schemes.items():
            fits["augmented"] = {d: _fit_degree(d, scheme, config, gamma, x0, both, val, test, progress, "augmented, ")
                                 for d in config["augmented_degrees"]}
    return {"schemes": schemes, "augmented_copies": config["augmented_copies"],
            "gamma": config["gamma"], "n_train": len(train), "n_val": config["val_size"], "n_test": len(test)}


def claims(result: dict) -> dict[str, float]:
    """taylor_order<d>_kernel_acc for each degree with a claim: the test accuracy of the
    one-vs-rest machine (Eq. (3)'s form) chosen on validation."""
    rows = result["schemes"].get("one_vs_rest", {}).get("degrees", {})
    out = {f"taylor_order{d}_kernel_acc": row["test_acc"] for d, row in rows.items()}
    return {claim: value for claim, value in out.items() if claim in PAPER}


def runners() -> dict:
    return {NAME: (run, claims)}
