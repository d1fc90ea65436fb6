"""Eq. (3)'s function class fit another way: a max-margin polynomial-kernel machine.

The kernel k(u, v) = (gamma u.v + 1)^d has as its feature space exactly the monomials of
degree <= d in u (degree k weighted by C(d, k) gamma^k), the terms of Eq. (3) at order d.
scikit-learn's SVC fits that polynomial by the hinge loss with a norm penalty, with no
augmentation and no choice of optimizer, on the same 7x7 images as ``taylor_expansion``. So
it says what polynomials of each degree can do on these images, apart from how we train.
For the degrees in ``augmented_degrees`` it is fit again on the training images plus
``augmented_copies`` copies of them under ``taylor_expansion``'s augmentation, drawn once.
For the degrees in ``expanded_degrees`` (a subset of those) the augmented one-vs-rest
machine is written out as Eq. (3) itself (:func:`as_taylor_expansion`) and read as the
chapter reads its own fit: the largest weights kept (``prune_keep``, at ``prune_degree``)
and the locality of its quadratic weights (Fig. 3).
Every fit is kept as a small checkpoint of its own, keyed by the data it saw, so an
interrupted run resumes at the fit it was on, and a degree added to the config costs only
its own fits.

``taylor_kernel_gamma`` (:func:`run_gamma`) fits the one-vs-rest machines again with the
kernel's scale gamma chosen on validation as well as C: does a scale other than
the one fixed above let degree 4 pull ahead of degree 3? ``taylor_kernel_copies`` fits them
on more augmented copies of the training images: does more data let degree 4 pull ahead?
``taylor_kernel_copies3`` takes one copy more, at the C both degrees chose at 0, 1 and 2.

Ten classes can be split two ways (``schemes``): ``one_vs_rest`` fits one polynomial per
class and predicts the class whose polynomial is largest, which is Eq. (3) exactly (ten
outputs, one linear layer on the Taylor terms); ``one_vs_one``, SVC's own, fits a polynomial
for each of the 45 pairs of classes and lets them vote, a larger model than Eq. (3).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from functools import partial

import torch

from ..checks import check_choice
from ..data import TensorData, load_dataset
from ..paper import PAPER
from ..results import checkpoint_dir, stored_or_computed
from ..taylor import (TaylorExpansion, TaylorFeatures, monomial_exponents, quadratic_coefficients,
                      quadratic_coefficients_at_zero, restandardised)
from ..train import accuracy, seed_everything
from .common import locality_by_basis, make_augment, pruned_accuracies, training_images

NAME = "taylor_kernel_svm"
GAMMA_NAME = "taylor_kernel_gamma"
COPIES_NAME = "taylor_kernel_copies"
COPIES3_NAME = "taylor_kernel_copies3"


# how ten classes are split into two-class problems: one polynomial per class (Eq. (3)'s
# form) or one per pair of classes (SVC's own)
SCHEMES = ("one_vs_rest", "one_vs_one")


def copies_phrase(n: int) -> str:
    """'1 augmented copy', '2 augmented copies': how the book names a fit's augmented data."""
    return f"{n} augmented cop{'y' if n == 1 else 'ies'}"


def kernel_machine(degree: int, C: float, gamma: float, scheme: str):
    """An unfitted SVC with the kernel (gamma u.v + 1)^degree, its ten classes split by ``scheme``."""
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import SVC

    # the kernel cache only saves recomputing kernel values (the fit is the same at any size);
    # at 240,000 images a row takes ~1 MB, and a small cache made the fits grow as n^3
    machine = SVC(kernel="poly", degree=degree, gamma=gamma, coef0=1.0, C=C, cache_size=6000)
    return OneVsRestClassifier(machine, n_jobs=2) if scheme == "one_vs_rest" else machine


def kernel_gamma(x, x0, scale: float = 1.0) -> float:
    """The kernel's gamma for images ``x`` (n, n_vars) centred at ``x0``: ``scale`` in units of
    1 / (n_vars x the pixels' variance), so that gamma u.v is of order one."""
    return float(scale / (x.shape[1] * (x - x0).var()))


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


def _arrays(data: TensorData):
    """(flattened float64 images, labels) as numpy arrays, the form SVC fits."""
    return data.images.flatten(1).double().numpy(), data.labels.numpy()


def _kernel_data(config: dict) -> tuple[TensorData, TensorData, TensorData, TensorData]:
    """(training set, the part of it fit on while choosing, the ``val_size`` held-out images,
    test set) of 7x7 images. The split is a function of the labels and the seed, so it picks
    the same images from the augmented copies as from the plain ones."""
    load = dict(size=config["image_size"], antialias=config["antialias"])
    train = load_dataset(config["dataset"], "train", **load).subset(config["train_size"], config["seed"])
    test = load_dataset(config["dataset"], "test", **load).subset(config["test_size"], config["seed"])
    fit_part, val = train.split(config["val_size"], config["seed"])
    return train, fit_part, val, test


def _with_copies(config: dict, n_copies: int, train: TensorData, fit_part: TensorData):
    """The training set with ``n_copies`` augmented copies (none for 0): (the arrays to fit
    on while choosing, the training set less the validation split plus the same images of
    each copy; the arrays to refit on, all of them; those as one TensorData)."""
    copies = _augmented_copies(config, n_copies) if n_copies else []
    if any(not torch.equal(copy.labels, train.labels) for copy in copies):
        raise RuntimeError("the 28x28 originals and the 7x7 training images are not in the same order")
    # each copy holds the same labels in the same order, so the split leaves out the same images
    fit_copies = [copy.split(config["val_size"], config["seed"])[0] for copy in copies]
    seen = _joined([train, *copies])
    return _arrays(_joined([fit_part, *fit_copies])), _arrays(seen), seen


# the settings a fit's outcome depends on besides its degree, scheme and C: each fit's
# checkpoint is kept under their hash, so a change elsewhere in the config reuses it
_DATA_KEYS = ("dataset", "image_size", "antialias", "train_size", "test_size", "val_size", "gamma", "seed")
_AUGMENTED_KEYS = ("augment", "augmented_copies")


def _fits_folder(profile: str, config: dict, augmented: bool):
    keys = _DATA_KEYS + (_AUGMENTED_KEYS if augmented else ())
    return checkpoint_dir(profile, NAME, {"fits": "augmented" if augmented else "plain",
                                          **{k: config[k] for k in keys}})


def _fit_degree(degree: int, scheme: str, config: dict, gamma: float, x0, train, val, test, progress: bool,
                label: str, folder, expand: bool = False) -> tuple[dict, TaylorExpansion | None]:
    """C chosen on ``val`` among ``config["C"]`` (fit on ``train[0]``), then refit on ``train[1]``;
    each fit checkpointed in ``folder``. With ``expand``, the refit machine is also written out
    as Eq. (3) (:func:`as_taylor_expansion`) and returned beside the row, else None."""
    (x_fit, y_fit), (x_all, y_all) = train
    label = f"{scheme}, {label}"

    def validated(C):
        machine = kernel_machine(degree, C, gamma, scheme).fit(x_fit - x0, y_fit)
        return {"val_acc": float((machine.predict(val[0] - x0) == val[1]).mean())}

    val_acc = {}
    for C in config["C"]:
        stored = stored_or_computed(folder / f"{scheme}-degree{degree}-C{C:g}.pt", lambda: validated(C))
        val_acc[str(C)] = stored["val_acc"]
        if progress:
            print(f"{label}degree {degree}, C = {C}: validation {val_acc[str(C)]:.4f}", flush=True)
    chosen = max(config["C"], key=lambda C: val_acc[str(C)])

    def refit():
        start = time.perf_counter()
        machine = kernel_machine(degree, chosen, gamma, scheme).fit(x_all - x0, y_all)
        fit_seconds = time.perf_counter() - start
        out = {"test_acc": float((machine.predict(test[0] - x0) == test[1]).mean()),
               "support_vectors": _support_vectors(machine), "fit_seconds": fit_seconds}
        if expand:
            out["eq3_state"] = as_taylor_expansion(machine, x0, degree, gamma).state_dict()
        return out

    suffix = "-refit-eq3" if expand else "-refit"
    refitted = stored_or_computed(folder / f"{scheme}-degree{degree}-C{chosen:g}{suffix}.pt", refit)
    row = {"val_acc": val_acc, "chosen_C": chosen, "test_acc": refitted["test_acc"],
           "support_vectors": refitted["support_vectors"], "n_fit": len(y_all), "fit_seconds": refitted["fit_seconds"]}
    if progress:
        print(f"{label}degree {degree}: C = {chosen}, test {row['test_acc']:.4f}", flush=True)
    model = None
    if expand:
        model = TaylorExpansion(len(x0), degree, expansion_point="mean").double()
        model.load_state_dict(refitted["eq3_state"])
    return row, model


def run(config: dict, profile: str, progress: bool = True) -> dict:
    """For each scheme and degree: C chosen on ``val_size`` images held out of the training
    set, then the chosen machine refit on the whole training set and scored once on the test set."""
    for scheme in config["schemes"]:
        check_choice("schemes entry", scheme, SCHEMES)
    _check_expanded(config)
    train, fit_part, val, test = _kernel_data(config)
    sizes = {"n_train": len(train), "n_val": len(val), "n_test": len(test)}
    plain, fit, val, test_xy = map(_arrays, (train, fit_part, val, test))   # test stays the data, for Eq. (3)
    # centred at the mean training image, as taylor_expansion's "mean" expansion point
    x0 = plain[0].mean(0)
    gamma = kernel_gamma(plain[0], x0, config["gamma"])
    folder = _fits_folder(profile, config, augmented=False)
    schemes = {scheme: {"degrees": {d: _fit_degree(d, scheme, config, gamma, x0, (fit, plain), val, test_xy, progress,
                                                    "", folder)[0]
                                    for d in config["degrees"]}, "augmented": {}}
               for scheme in config["schemes"]}
    if config["augmented_degrees"]:
        fit_xy, all_xy, seen = _with_copies(config, config["augmented_copies"], train, fit_part)
        both = (fit_xy, all_xy)
        folder = _fits_folder(profile, config, augmented=True)
        for scheme, fits in schemes.items():
            for d in config["augmented_degrees"]:
                # only the one-vs-rest machines have Eq. (3)'s form (ten polynomials)
                expand = scheme == "one_vs_rest" and d in config["expanded_degrees"]
                row, model = _fit_degree(d, scheme, config, gamma, x0, both, val, test_xy, progress,
                                         "augmented, ", folder, expand=expand)
                if expand:
                    row["as_eq3"] = _read_as_eq3(model, d, config, seen, test, progress)
                fits["augmented"][d] = row
    return {"schemes": schemes, "augmented_copies": config["augmented_copies"],
            "gamma": config["gamma"], "data_locality": data_locality(plain[0] - x0, plain[1]), **sizes}


def data_locality(u, labels) -> dict:
    """Fig. 3's locality shares of the training images' own products, no fit: for each class,
    the mean of u_i u_j over its images less the mean over all images (a class against the
    rest, as a one-vs-rest machine's weighted sum of its support vectors' products is)."""
    u, labels = torch.as_tensor(u, dtype=torch.float64), torch.as_tensor(labels)
    overall = u.T @ u / len(u)
    maps = torch.stack([u[labels == c].T @ u[labels == c] / int((labels == c).sum()) - overall
                        for c in labels.unique()])
    side = int(round(u.shape[1] ** 0.5))
    return locality_by_basis({"u": maps.numpy()}, side)["u"]


def _check_expanded(config: dict) -> None:
    extra = sorted(set(config["expanded_degrees"]) - set(config["augmented_degrees"]))
    if extra:
        raise ValueError(f"expanded_degrees {extra} are not among augmented_degrees {config['augmented_degrees']}: "
                         "only the augmented one-vs-rest machines are written out as Eq. (3)")
    if config["expanded_degrees"] and "one_vs_rest" not in config["schemes"]:
        raise ValueError("expanded_degrees needs the one_vs_rest scheme (Eq. (3)'s form); "
                         f"schemes are {config['schemes']}")


def _read_as_eq3(model: TaylorExpansion, degree: int, config: dict, seen: TensorData, test: TensorData,
                 progress: bool) -> dict:
    """The machine's polynomial read as the chapter reads its own fit: its test accuracy as
    Eq. (3), the locality of its quadratic weights in both bases, and, at ``prune_degree``,
    its accuracy with only the largest standardised weights kept (terms standardised on
    ``standardize_samples`` of the images it was fit on, ``seen``)."""
    images = seen.images
    sample = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(config["seed"]))
                    [:config["standardize_samples"]]]
    model = restandardised(model, sample.double()).float()
    side = int(round(model.features.n_vars ** 0.5))
    out = {"test_acc": accuracy(model, test),
           "locality": locality_by_basis({"u": quadratic_coefficients(model),
                                          "x_at_zero": quadratic_coefficients_at_zero(model)}, side)}
    if degree == config["prune_degree"]:
        out["pruning"] = pruned_accuracies(model, config["prune_keep"], test)
    if progress:
        print(f"degree {degree} as Eq. (3): {out}", flush=True)
    return out


def kernel_monomial_weights(n_vars: int, degree: int, gamma: float) -> torch.Tensor:
    """The weight of each monomial u^m (constant left out, in :class:`TaylorFeatures`' order)
    in the expansion (gamma u.v + 1)^d = sum_m c_m u^m v^m, with
    c_m = C(d, k) gamma^k k! / prod_j m_j! for a monomial of degree k."""
    weights = []
    for term in monomial_exponents(n_vars, degree)[1:]:
        k = len(term)
        multinomial = math.factorial(k) / math.prod(math.factorial(c) for c in Counter(term).values())
        weights.append(math.comb(degree, k) * gamma ** k * multinomial)
    return torch.tensor(weights, dtype=torch.float64)


@torch.no_grad()
def as_taylor_expansion(machine, x0, degree: int, gamma: float, batch_size: int = 256) -> TaylorExpansion:
    """A fitted one-vs-rest polynomial-kernel machine (:func:`kernel_machine`, inputs
    ``x - x0``) written as Eq. (3): a :class:`TaylorExpansion` expanded at ``x0`` whose
    weights are the Taylor coefficients of each class's decision function
    f(u) = sum_i a_i (gamma s_i.u + 1)^d + b, i.e. W_m = c_m sum_i a_i s_i^m and the
    constant sum_i a_i + b (float64; its logits are the machine's decision function)."""
    if not hasattr(machine, "estimators_"):
        raise ValueError("as_taylor_expansion needs a one-vs-rest machine (ten polynomials); "
                         f"got {type(machine).__name__}, whose pairwise polynomials are not Eq. (3)")
    x0 = torch.as_tensor(x0, dtype=torch.float64)
    n_vars = x0.numel()
    features = TaylorFeatures(n_vars, degree)
    c = kernel_monomial_weights(n_vars, degree, gamma)
    weight, bias = [], []
    for svc in machine.estimators_:
        support = torch.as_tensor(svc.support_vectors_, dtype=torch.float64)
        a = torch.as_tensor(svc.dual_coef_[0], dtype=torch.float64)
        w = sum(features(support[i:i + batch_size]).T @ a[i:i + batch_size] for i in range(0, len(a), batch_size))
        weight.append(c * w)
        bias.append(a.sum() + float(svc.intercept_[0]))
    model = TaylorExpansion(n_vars, degree, n_classes=len(weight), expansion_point="mean").double()
    model.x0.copy_(x0)               # u = x - x0: unit scale, no standardisation
    model.weight.copy_(torch.stack(weight))
    model.bias.copy_(torch.stack(bias))
    return model


def claims(result: dict) -> dict[str, float]:
    """taylor_order<d>_kernel_acc (and ..._kernel_augmented_acc) for each degree with a claim:
    the test accuracy of the one-vs-rest machine (Eq. (3)'s form) chosen on validation."""
    fits = result["schemes"].get("one_vs_rest", {})
    out = {f"taylor_order{d}_kernel_acc": row["test_acc"] for d, row in fits.get("degrees", {}).items()}
    out |= {f"taylor_order{d}_kernel_augmented_acc": row["test_acc"] for d, row in fits.get("augmented", {}).items()}
    for d, row in fits.get("augmented", {}).items():
        if int(d) != 4:          # the claims are the paper's pruning of order 4, read on the machines
            continue
        pruning = row.get("as_eq3", {}).get("pruning", {})
        for keep, acc in zip(pruning.get("keep", []), pruning.get("test_acc", [])):
            out[f"taylor_prune{int(round(keep * 100))}_kernel_acc"] = acc
    return {claim: value for claim, value in out.items() if claim in PAPER}


def check_gamma_grid(config: dict) -> None:
    """Raise a ValueError unless every degree has a grid in ``C_times_gamma`` and every
    gamma and C x gamma is positive."""
    missing = [d for d in config["degrees"] if str(d) not in config["C_times_gamma"]]
    if missing:
        raise ValueError(f"C_times_gamma has no grid for degree(s) {missing}; it has grids for degrees "
                         f"{sorted(config['C_times_gamma'])} (keys are strings: the config is stored as JSON)")
    bad = [v for v in [*config["gammas"], *(c for grid in config["C_times_gamma"].values() for c in grid)]
           if not v > 0]
    if bad or not config["gammas"]:
        raise ValueError(f"gammas and the C_times_gamma grids must be non-empty and positive; got gammas "
                         f"{config['gammas']}, C_times_gamma {config['C_times_gamma']}")


def run_gamma(config: dict, profile: str, progress: bool = True, name: str = GAMMA_NAME) -> dict:
    """For each degree, the one-vs-rest machine (as ``taylor_kernel_svm``'s; with
    ``augmented_copies`` augmented copies of the training images, 0 for none) at every gamma
    of ``gammas`` (in :func:`kernel_gamma`'s units) and every C = c / gamma for c in
    ``C_times_gamma[degree]``, fit on the training set less ``val_size`` held-out images; the
    pair best on those images (ties to the first: smaller gamma, then smaller C) refit on
    all of them and scored once on the test set. ``name`` keys the fits' checkpoints."""
    check_gamma_grid(config)
    train, fit_part, val, test = _kernel_data(config)
    (x_fit, y_fit), (x_all, y_all), _ = _with_copies(config, config["augmented_copies"], train, fit_part)
    plain, (x_val, y_val), (x_test, y_test) = _arrays(train), _arrays(val), _arrays(test)
    x0 = plain[0].mean(0)                      # centred at the mean plain training image, as taylor_kernel_svm
    unit = kernel_gamma(plain[0], x0)          # gamma = 1 in these units is taylor_kernel_svm's
    folder = checkpoint_dir(profile, name, {k: config[k] for k in _DATA_KEYS + _AUGMENTED_KEYS if k != "gamma"})
    degrees = {}
    for d in config["degrees"]:
        grid = []
        for scale in config["gammas"]:
            for c in config["C_times_gamma"][str(d)]:
                C = c / scale

                def validated(C=C, scale=scale):
                    machine = kernel_machine(d, C, scale * unit, "one_vs_rest").fit(x_fit - x0, y_fit)
                    return {"val_acc": float((machine.predict(x_val - x0) == y_val).mean())}

                row = stored_or_computed(folder / f"degree{d}-gamma{scale:g}-C{C:g}.pt", validated)
                grid.append({"gamma": scale, "C_times_gamma": c, "C": C, "val_acc": row["val_acc"]})
                if progress:
                    print(f"{name}: degree {d}, gamma {scale:g}, C {C:g}: validation {row['val_acc']:.4f}",
                          flush=True)
        best = max(grid, key=lambda row: row["val_acc"])       # max keeps the first of equals

        def refit(best=best):
            start = time.perf_counter()
            machine = kernel_machine(d, best["C"], best["gamma"] * unit, "one_vs_rest").fit(x_all - x0, y_all)
            return {"test_acc": float((machine.predict(x_test - x0) == y_test).mean()),
                    "support_vectors": _support_vectors(machine), "fit_seconds": time.perf_counter() - start}

        refitted = stored_or_computed(folder / f"degree{d}-gamma{best['gamma']:g}-C{best['C']:g}-refit.pt", refit)
        degrees[str(d)] = {"grid": grid, "chosen": best, "test_acc": refitted["test_acc"],
                           "support_vectors": refitted["support_vectors"], "fit_seconds": refitted["fit_seconds"],
                           "n_fit": len(y_all)}
        if progress:
            print(f"{name}: degree {d}: gamma {best['gamma']:g}, C {best['C']:g}, test {refitted['test_acc']:.4f}",
                  flush=True)
    return {"degrees": degrees, "augmented_copies": config["augmented_copies"], "n_train": len(train),
            "n_val": len(val), "n_test": len(test)}


def gamma_claims(result: dict) -> dict[str, float]:
    """taylor_order<d>_kernel_gamma_acc: the test accuracy of the machine whose gamma and C
    validation picks, for each degree with a claim."""
    out = {f"taylor_order{d}_kernel_gamma_acc": row["test_acc"] for d, row in result["degrees"].items()}
    return {claim: value for claim, value in out.items() if claim in PAPER}


def run_copies(config: dict, profile: str, progress: bool = True, name: str = COPIES_NAME) -> dict:
    """:func:`run_gamma` on ``augmented_copies`` augmented copies of the training images
    (``taylor_kernel_copies``, ``taylor_kernel_copies3``): the one-vs-rest machines of each
    degree with C (and gamma) chosen on validation, fit on more data than
    ``taylor_kernel_svm``'s one copy."""
    if config["augmented_copies"] < 1:
        raise ValueError(f"{name} fits on augmented copies: augmented_copies must be at least 1, "
                         f"got {config['augmented_copies']}")
    return run_gamma(config, profile, progress, name=name)


def copies_claim(degree, n_copies: int) -> str:
    """The claim of the degree-``degree`` machine fit with ``n_copies`` augmented copies:
    taylor_order<d>_kernel_copies_acc for two (taylor_kernel_copies), ..._copies<n>_acc else."""
    return f"taylor_order{degree}_kernel_copies{'' if n_copies == 2 else n_copies}_acc"


def copies_claims(result: dict) -> dict[str, float]:
    """:func:`copies_claim`: the test accuracy of the machine chosen on validation, fit with
    the result's ``augmented_copies`` copies, for each degree with a claim."""
    out = {copies_claim(d, result["augmented_copies"]): row["test_acc"] for d, row in result["degrees"].items()}
    return {claim: value for claim, value in out.items() if claim in PAPER}


def runners() -> dict:
    return {NAME: (run, claims), GAMMA_NAME: (run_gamma, gamma_claims), COPIES_NAME: (run_copies, copies_claims),
            COPIES3_NAME: (partial(run_copies, name=COPIES3_NAME), copies_claims)}
