"""Sec. III, Fig. 2 at order 4: which fit of Eq. (3) validation picks.

The book fits the same polynomials of order 4 two ways: by gradient descent, as its first
fit did, on the standardised terms with Adam (``taylor_order4_tuning``, one fit per candidate
setting), or as the chapter's fit does, by SGD in the machines' weighting of the terms
(``taylor_kernel_geometry``), and by
max-margin kernel machines (``taylor_kernel_svm``, with and without augmented copies, C
chosen there; ``taylor_kernel_copies`` and ``taylor_kernel_copies3``, with more copies). All
hold out the same training images (``TensorData.split`` is a function of the labels and the
seed). This experiment trains nothing: it reads the stored
results, ranks every fit by its accuracy on those held-out images, and reports the test
accuracy of the fit ranked first. That is Eq. (3)'s accuracy at order 4 with every choice,
the way of fitting included, made before the test set is read.

It records each result it read (``sources``: when it was stored, from which commit, and a
hash of the file), so a stale choice, one whose source was stored again since, can be told
(:func:`stale_sources`).
"""

from __future__ import annotations

import hashlib

from ..paper import PAPER
from ..results import result_path
from .taylor_kernel import copies_phrase

NAME = "taylor_order4_choice"


def order_fits(tuning: dict, kernel: dict, *more: dict, geometry: dict | None = None) -> dict[str, dict]:
    """Every fit of order ``tuning["order"]`` in the results: name -> {"method",
    "val_acc", "test_acc"}, the gradient fits first. The machines (``kernel``'s, then each of
    ``more``'s, taylor_kernel_copies' and taylor_kernel_copies3's) are the one-vs-rest ones
    (Eq. (3)'s ten outputs) at the C chosen on validation, refit on all training images
    before the test; the gradient fits of ``tuning`` are tested as trained. ``geometry``'s
    (taylor_kernel_geometry's), like the machines, is read at the length chosen on validation
    and tested after training on all training images."""
    held_out = [other["n_val"] for other in (kernel, *more)] + ([geometry["lengths"]["val_size"]] if geometry else [])
    for n_val in held_out:
        if tuning["val_size"] != n_val:
            raise ValueError(f"the runs hold out different numbers of images ({tuning['val_size']} and "
                             f"{n_val}): fits are ranked on the same held-out images only")
    order = str(tuning["order"])
    fits = {f"gradient descent, {name}": {"method": "gradient descent", "val_acc": row["val_acc"],
                                          "test_acc": row["test_acc"]}
            for name, row in tuning["candidates"].items()}
    lengths = (geometry or {}).get("lengths", {}).get("orders", {}).get(order)
    if lengths is not None:
        fits["gradient descent in the kernel's weighting"] = {
            "method": "gradient descent", "val_acc": lengths["candidates"][lengths["chosen"]]["val_acc"],
            "test_acc": geometry["orders"][order]["test_acc"]}
    machines = kernel["schemes"].get("one_vs_rest", {})
    for part, what in (("degrees", "the max-margin machines"),
                       ("augmented", f"the max-margin machines, with {copies_phrase(kernel['augmented_copies'])}")):
        row = machines.get(part, {}).get(order)
        if row is not None:
            fits[what] = {"method": "max-margin", "val_acc": row["val_acc"][str(row["chosen_C"])],
                          "test_acc": row["test_acc"]}
    for copies in more:
        row = copies["degrees"].get(order)
        if row is not None:
            fits[f"the max-margin machines, with {copies_phrase(copies['augmented_copies'])}"] = {
                "method": "max-margin", "val_acc": row["chosen"]["val_acc"], "test_acc": row["test_acc"]}
    return fits


def run(config: dict, profile: str, progress: bool = True) -> dict:
    """The fits of the stored results ranked on validation (ties go to the first listed);
    the chosen one's test accuracy is read only to be reported."""
    from . import run_or_load    # the package imports this module

    # each as stored with its current config; a missing one raises, saying how to compute it
    names = [config["gradient"], config["machines"], *config["more_machines"],
             *([config["geometry"]] if config.get("geometry") else [])]
    stored = {name: run_or_load(name, profile, recompute="never") for name in names}
    seeds = {name: s["manifest"]["config"]["seed"] for name, s in stored.items()}
    if set(seeds.values()) != {config["seed"]}:     # the held-out split is drawn from the seed
        raise ValueError(f"{NAME} ranks fits on one held-out split, drawn from seed {config['seed']}; "
                         f"the runs read were made with seeds {seeds}")
    tuning, kernel = stored[config["gradient"]]["result"], stored[config["machines"]]["result"]
    fits = order_fits(tuning, kernel, *(stored[name]["result"] for name in config["more_machines"]),
                      geometry=stored[config["geometry"]]["result"] if config.get("geometry") else None)
    chosen = max(fits, key=lambda name: fits[name]["val_acc"])
    if progress:
        print(f"{NAME}: {len(fits)} fits, validation picks {chosen!r} ({fits[chosen]['val_acc']:.4f})", flush=True)
    return {"order": tuning["order"], "val_size": tuning["val_size"], "fits": fits, "chosen": chosen,
            "sources": {name: {"date": s["manifest"]["date"], "git": s["manifest"]["git"],
                               "sha256": _file_hash(name, profile)} for name, s in stored.items()}}


def _file_hash(name: str, profile: str) -> str | None:
    path = result_path(profile, name)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def stale_sources(result: dict, profile: str) -> list[str]:
    """The sources of a stored choice that were stored again since it read them (or are
    gone): their names, empty when the choice is current."""
    return [name for name, seen in result["sources"].items() if _file_hash(name, profile) != seen["sha256"]]


def claims(result: dict) -> dict[str, float]:
    """taylor_order<n>_chosen_acc: the test accuracy of the fit validation picks (a claim for
    order 4 only, the order the paper gives a number for)."""
    claim = f"taylor_order{result['order']}_chosen_acc"
    return {claim: result["fits"][result["chosen"]]["test_acc"]} if claim in PAPER else {}


def runners() -> dict:
    return {NAME: (run, claims)}
