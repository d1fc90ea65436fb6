"""Sec. III, Fig. 2: is degree 4 above degree 3 on the same test images?

The kernel runs keep each machine's test accuracy only, and the book compared two of them
against the standard error of two *independent* accuracies (0.18 points at 98.3 % on 10,000
images). The two machines are tested on the same images and get almost all of them right
together, so that error is far too wide. This experiment refits the one-vs-rest machines
(Eq. (3)'s form) of the runs ``runs`` (``taylor_kernel_svm`` with 0 and 1 augmented copies,
``taylor_kernel_copies`` with 2, ``taylor_kernel_copies3`` with 3), each at the C and gamma its
run chose on validation and on the same images, and keeps their test predictions. Two degrees
then differ only on the *discordant* images, those one gets right and the other wrong, and
McNemar's exact test asks whether they split more unevenly than a fair coin would split them
(:func:`mcnemar`). Each refit must reproduce its run's stored test accuracy
(``reproduced`` in the result says whether it did). Trains nothing new: choices were made
on validation by the runs read.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..results import checkpoint_dir, stored_or_computed
from .taylor_kernel import (_DATA_KEYS, _arrays, _augmented_copies, _joined, _kernel_data, _support_vectors,
                            copies_phrase, kernel_gamma, kernel_machine)

NAME = "taylor_kernel_paired"

# the settings the runs read must share: they fix the images, the copies and the split
_SHARED_KEYS = tuple(k for k in _DATA_KEYS if k != "gamma") + ("augment",)


def mcnemar(correct_a, correct_b) -> dict:
    """Two classifiers, a and b, on the same images (``correct_*``: one bool per image): the
    images only a gets right (``only_a``) and only b (``only_b``); b's accuracy minus a's
    (``step``) and its paired standard error sqrt(d - (only_b - only_a)^2 / n) / n, d the
    discordant images; and McNemar's exact two-sided p-value, the binomial test of ``only_b``
    among the d at one half (1.0 when none differ)."""
    from scipy.stats import binomtest

    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError(f"mcnemar needs two equal-length 1-d arrays of right/wrong, one per image; "
                         f"got shapes {a.shape} and {b.shape}")
    n, only_a, only_b = len(a), int((a & ~b).sum()), int((b & ~a).sum())
    discordant = only_a + only_b
    p = binomtest(only_b, discordant, 0.5).pvalue if discordant else 1.0
    return {"n": n, "only_a": only_a, "only_b": only_b, "step": (only_b - only_a) / n,
            "paired_se": float(np.sqrt(max(discordant - (only_b - only_a) ** 2 / n, 0.0)) / n),
            "p_value": float(p)}


def chosen_machines(stored: dict[str, dict], degrees) -> dict[int, dict[int, dict]]:
    """The one-vs-rest machines of ``degrees`` that the stored runs (name -> {"manifest",
    "result"}) chose on validation: augmented copies -> degree -> {"run", "C", "gamma" (in
    :func:`kernel_gamma`'s units), "test_acc" (as stored)}; a number of copies is kept only
    when every degree was fit with it."""
    found: dict[int, dict[int, dict]] = {}
    for name, run in stored.items():
        config, result = run["manifest"]["config"], run["result"]
        if "schemes" in result:                          # taylor_kernel_svm: plain, then augmented
            fits = result["schemes"].get("one_vs_rest", {})
            for copies, part in ((0, "degrees"), (result["augmented_copies"], "augmented")):
                for d, row in fits.get(part, {}).items():
                    found.setdefault(copies, {})[int(d)] = {"run": name, "C": row["chosen_C"],
                                                            "gamma": config["gamma"], "test_acc": row["test_acc"]}
        else:                                            # taylor_kernel_gamma / _copies: gamma chosen too
            for d, row in result["degrees"].items():
                found.setdefault(result["augmented_copies"], {})[int(d)] = {
                    "run": name, "C": row["chosen"]["C"], "gamma": row["chosen"]["gamma"], "test_acc": row["test_acc"]}
    return {copies: {d: fits[d] for d in degrees} for copies, fits in sorted(found.items())
            if all(d in fits for d in degrees)}


def _shared_data_config(stored: dict[str, dict], seed: int) -> dict:
    """The data settings every run read (images, split, copies), which must be one; ``seed``,
    the manifest's, must be theirs, for the copies are drawn again as the runs drew them."""
    configs = {name: run["manifest"]["config"] for name, run in stored.items()}
    first = next(iter(configs.values()))
    differ = {key: {name: c[key] for name, c in configs.items()} for key in _SHARED_KEYS
              if any(c[key] != first[key] for c in configs.values())}
    if differ:
        raise ValueError(f"{NAME} compares machines on the same images: the runs read differ in {differ}")
    if seed != first["seed"]:
        raise ValueError(f"{NAME} draws the augmented copies as its runs drew them, from seed {first['seed']}; "
                         f"its seed is {seed}: set seed={first['seed']}")
    return {key: first[key] for key in _SHARED_KEYS}


def run(config: dict, profile: str, progress: bool = True) -> dict:
    """Each machine of :func:`chosen_machines` refit on the training images plus its copies
    (drawn as its run drew them) and its test predictions kept; then, for each number of
    copies, :func:`mcnemar` of the higher degree against the lower."""
    from . import run_or_load    # the package imports this module

    low, high = config["degrees"]
    stored = {name: run_or_load(name, profile, recompute="never") for name in config["runs"]}
    data_config = _shared_data_config(stored, config["seed"])
    machines = chosen_machines(stored, (low, high))
    if not machines:
        raise ValueError(f"no number of augmented copies has both degrees {low} and {high} among the runs "
                         f"{config['runs']}")
    train, _, _, test = _kernel_data(data_config)
    # each run draws its copies one after another from the seed, so n copies are the first n of the most
    copies = _augmented_copies(data_config, max(machines))
    plain = _arrays(train)
    x0 = plain[0].mean(0)                 # centred and scaled as the runs centre and scale
    unit = kernel_gamma(plain[0], x0)
    x_test, y_test = _arrays(test)
    folder = checkpoint_dir(profile, NAME, data_config)
    fits, paired, predictions = {}, {}, {}
    for n_copies, by_degree in machines.items():
        x_all, y_all = _arrays(_joined([train, *copies[:n_copies]]))
        for d, machine in by_degree.items():
            def refit(d=d, machine=machine):
                start = time.perf_counter()
                fitted = kernel_machine(d, machine["C"], machine["gamma"] * unit, "one_vs_rest").fit(x_all - x0, y_all)
                fit_seconds = time.perf_counter() - start
                return {"predictions": torch.as_tensor(fitted.predict(x_test - x0), dtype=torch.int8),
                        "support_vectors": _support_vectors(fitted), "fit_seconds": fit_seconds}

            path = folder / f"copies{n_copies}-degree{d}-gamma{machine['gamma']:g}-C{machine['C']:g}.pt"
            row = stored_or_computed(path, refit)
            predicted = row["predictions"].numpy()
            test_acc = float((predicted == y_test).mean())
            fits.setdefault(str(n_copies), {})[str(d)] = {
                **machine, "test_acc": test_acc, "stored_test_acc": machine["test_acc"],
                "reproduced": test_acc == machine["test_acc"], "n_fit": len(y_all),
                "support_vectors": row["support_vectors"], "fit_seconds": row["fit_seconds"]}
            predictions[f"copies{n_copies}_degree{d}"] = predicted
            if progress:
                print(f"{NAME}: {copies_phrase(n_copies)}, degree {d}: test {test_acc:.4f} (stored "
                      f"{machine['test_acc']:.4f}), {row['fit_seconds'] / 60:.1f} min", flush=True)
        paired[str(n_copies)] = mcnemar(predictions[f"copies{n_copies}_degree{low}"] == y_test,
                                        predictions[f"copies{n_copies}_degree{high}"] == y_test)
    return {"degrees": [low, high], "fits": fits, "paired": paired, "n_test": len(y_test),
            "arrays": {**predictions, "labels": y_test.astype(np.int8)}}


def runners() -> dict:
    return {NAME: (run, lambda result: {})}
