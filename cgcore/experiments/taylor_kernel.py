"""Eq. (3)'s function class fit another way: a max-margin polynomial-kernel machine.

The kernel k(u, v) = (gamma u.v + 1)^d has as its feature space exactly the monomials of
degree <= d in u (degree k weighted by C(d, k) gamma^k), the terms of Eq. (3) at order d.
scikit-learn's SVC fits that polynomial by the hinge loss with a norm penalty, with no
augmentation and no choice of optimizer, on the same 7x7 images as ``taylor_expansion``. So
it says what polynomials of each degree can do on these images, apart from how we train.
"""

from __future__ import annotations

import time

from ..data import load_dataset
from ..paper import PAPER

NAME = "taylor_kernel_svm"


def _svc(degree: int, C: float, gamma: float):
    from sklearn.svm import SVC

    return SVC(kernel="poly", degree=degree, gamma=gamma, coef0=1.0, C=C, cache_size=2000)


def run(config: dict, profile: str, progress: bool = True) -> dict:
    """For each degree: C chosen on ``val_size`` images held out of the training set, then the
    chosen machine refit on the whole training set and scored once on the test set."""
    load = dict(size=config["image_size"], antialias=config["antialias"])
    train = load_dataset(config["dataset"], "train", **load).subset(config["train_size"], config["seed"])
    test = load_dataset(config["dataset"], "test", **load).subset(config["test_size"], config["seed"])
    fit_part, val = train.split(config["val_size"], config["seed"])

    def arrays(data):
        return data.images.flatten(1).double().numpy(), data.labels.numpy()

    (x_all, y_all), (x_fit, y_fit), (x_val, y_val), (x_test, y_test) = map(arrays, (train, fit_part, val, test))
    # centred at the mean training image, as taylor_expansion's "mean" expansion point; gamma
    # in units of 1 / (n_vars x the pixels' variance), so gamma u.v is of order one
    x0 = x_all.mean(0)
    scale = float(config["gamma"] / (x_all.shape[1] * (x_all - x0).var()))
    degrees = {}
    for degree in config["degrees"]:
        val_acc = {}
        for C in config["C"]:
            machine = _svc(degree, C, scale).fit(x_fit - x0, y_fit)
            val_acc[str(C)] = float((machine.predict(x_val - x0) == y_val).mean())
            if progress:
                print(f"degree {degree}, C = {C}: validation {val_acc[str(C)]:.4f}", flush=True)
        chosen = max(config["C"], key=lambda C: val_acc[str(C)])
        start = time.perf_counter()
        machine = _svc(degree, chosen, scale).fit(x_all - x0, y_all)
        fit_seconds = time.perf_counter() - start
        degrees[degree] = {"val_acc": val_acc, "chosen_C": chosen,
                           "test_acc": float((machine.predict(x_test - x0) == y_test).mean()),
                           "support_vectors": int(machine.n_support_.sum()), "fit_seconds": fit_seconds}
        if progress:
            print(f"degree {degree}: C = {chosen}, test {degrees[degree]['test_acc']:.4f}", flush=True)
    return {"degrees": degrees, "gamma": config["gamma"], "n_train": len(train), "n_val": len(val),
            "n_test": len(test)}


def claims(result: dict) -> dict[str, float]:
    """taylor_order<d>_kernel_acc for each degree with a claim (the test accuracy of the
    machine chosen on validation)."""
    out = {f"taylor_order{d}_kernel_acc": row["test_acc"] for d, row in result["degrees"].items()}
    return {claim: value for claim, value in out.items() if claim in PAPER}


def runners() -> dict:
    return {NAME: (run, claims)}
