"""Seed repeats: how far a headline number moves when only the seed changes.

``seeds_<experiment>`` runs ``base_experiment`` once per seed of ``seeds`` (optionally for
a subset of its ``variants``, and with the settings of ``overrides`` changed) and stores
every seed's claims; its own claims are the mean and the sample standard deviation
(ddof = 1) of each, ``<claim>_mean`` and ``<claim>_std``. The base's own seed is not
trained again: its stored result (same config) is read, so ``overrides`` may only leave out
work whose claims are then dropped (e.g. the Taylor expansion's order 4, each order being
trained on its own), never change the claims that are kept: a list overriding a list must be
a prefix of it, and a list overriding a dict names the entries kept (e.g. the one candidate
of a tuning run that it chose).
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np

from ..checks import check_choice
from ..paper import PAPER
from ..results import load_result
from ..train import default_device

SEEDED = {"seeds_taylornet_mnist7": "taylornet_mnist7", "seeds_baselines_mnist7": "baselines_mnist7",
          "seeds_taylornet_mnist_tuned": "taylornet_mnist_tuned",
          "seeds_taylornet_mnist_averaged": "taylornet_mnist_averaged",
          "seeds_taylor_expansion": "taylor_expansion", "seeds_distillation_mnist": "distillation_mnist"}


def base_config(config: dict, seed: int) -> dict:
    """The base experiment's config for ``seed`` (and the seeds experiment's ``variants`` and
    ``overrides``)."""
    overrides = config.get("overrides") or {}
    unknown = sorted(set(overrides) - set(config["base"]))
    if unknown:
        raise ValueError(f"overrides name settings {config['base_experiment']} does not have: {unknown}; "
                         f"it has {sorted(config['base'])}")
    resolved = {}
    for key, value in overrides.items():       # each replaces the base's setting whole
        was = config["base"][key]
        if isinstance(value, list) and isinstance(was, list) and value != was[:len(value)]:
            raise ValueError(f"overrides.{key} = {value} must be a prefix of {config['base_experiment']}'s {was}: "
                             "a seed repeat may leave work out, not change it")
        if isinstance(value, list) and isinstance(was, dict):     # the entries kept, unchanged
            missing = [name for name in value if name not in was]
            if missing:
                raise ValueError(f"overrides.{key} keeps {missing}, which {config['base_experiment']}'s {key} "
                                 f"does not have; it has {sorted(was)}")
            value = {name: was[name] for name in value}
        resolved[key] = value
    base = {**config["base"], **resolved, "seed": seed}
    if config.get("variants") is not None:
        base["variants"] = config["variants"]
    return base


def run(config: dict, profile: str, progress: bool = True, *, experiment: str) -> dict:
    """Every seed of ``config["seeds"]``: the base experiment's claims, read from its stored
    result for the base's own seed and computed for the others."""
    from . import EXPERIMENTS
    from ..profiles import get_config

    check_choice("experiment", experiment, tuple(SEEDED))
    base_name = config["base_experiment"]
    base_run, base_claims = EXPERIMENTS[base_name]
    if len(set(config["seeds"])) < 2:
        raise ValueError(f"seeds must hold at least two different seeds, got {config['seeds']}")
    stored_config = get_config(base_name, profile)
    per_seed, seconds = [], []
    for seed in config["seeds"]:
        start = time.perf_counter()
        stored = load_result(base_name, profile, stored_config) if seed == stored_config["seed"] else None
        if stored is not None:
            claims = base_claims(stored["result"])
        else:
            result = base_run(base_config(config, seed), profile, progress)
            result.pop("arrays", None)
            claims = base_claims(result)
        per_seed.append(claims)
        seconds.append(time.perf_counter() - start)
        if progress:
            print(f"{experiment}: seed {seed}: {claims}", flush=True)
    shared = sorted(set.intersection(*(set(c) for c in per_seed)))
    return {"base_experiment": base_name, "seeds": list(config["seeds"]),
            "claims": {claim: [c[claim] for c in per_seed] for claim in shared},
            "seconds_per_seed": seconds, "device": str(default_device())}


def spread(values) -> tuple[float, float]:
    """The mean and the sample standard deviation (ddof = 1) of one claim over the seeds."""
    return float(np.mean(values)), float(np.std(values, ddof=1))


def stored_repeat(experiment: str, profile: str) -> dict | None:
    """The stored result of the seed repeat ``experiment`` ({"seeds", "claims": {claim: one
    value per seed}, ...}), or None when it is not stored with its current config (a repeat
    of a base whose config has changed since repeats other runs than the page shows)."""
    from ..profiles import get_config

    check_choice("seed-repeat experiment", experiment, tuple(SEEDED))
    stored = load_result(experiment, profile, get_config(experiment, profile))
    return None if stored is None else stored["result"]


def claims(result: dict) -> dict[str, float]:
    out = {}
    for claim, values in result["claims"].items():
        for stat, value in zip(("mean", "std"), spread(values)):
            if f"{claim}_{stat}" in PAPER:
                out[f"{claim}_{stat}"] = value
    return out


def runners() -> dict:
    return {name: (partial(run, experiment=name), claims) for name in SEEDED}
