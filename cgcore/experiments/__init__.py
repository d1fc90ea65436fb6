"""The book's experiments: each computes one stored result from a profile's config.

``run_or_load`` is what notebooks call: it returns the stored result when one exists
with the same config, and computes (and stores) it otherwise, or when asked to.
"""

from __future__ import annotations

import contextlib
import time

from .. import distributed
from ..checks import check_choice
from ..profiles import get_config
from ..results import (git_commit, load_result, reset_restored_work, restored_work, result_path, run_lock, save_arrays,
                       save_result)
from ..train import default_device
from . import (benchmarks, distillation, polynomial, seeds, taylor_expansion, taylor_fit_choice, taylor_kernel,
               taylor_kernel_paired, taylornet)

# name -> (run(config, profile, progress) -> result, claims(result) -> {claim: ours}); the
# scorecard is written by the command line and the book, not by a run.
EXPERIMENTS = {**taylor_expansion.runners(), **taylor_kernel.runners(), **taylor_kernel_paired.runners(),
               **taylor_fit_choice.runners(),
               **taylornet.runners(), **polynomial.runners(), **distillation.runners(), **benchmarks.runners(),
               **seeds.runners()}
# under torchrun these run on rank 0 alone (timings of ranks competing for a device mean nothing)
MAIN_RANK_ONLY = frozenset(benchmarks.runners())

RECOMPUTE = ("auto", "always", "never")


def run_experiment(experiment: str, profile: str, progress: bool = True, **overrides) -> dict:
    """Compute ``experiment`` under ``profile``, store it, and return the stored record."""
    check_choice("experiment", experiment, tuple(EXPERIMENTS))
    config = get_config(experiment, profile, **overrides)
    run, _ = EXPERIMENTS[experiment]
    commit = git_commit()  # the code the run starts from, not whatever is checked out when it ends
    start = time.perf_counter()
    reset_restored_work()
    # under torchrun every rank computes (its share) and rank 0 alone locks and writes
    main = distributed.is_main()
    with run_lock(profile, experiment) if main else contextlib.nullcontext():
        if main or experiment not in MAIN_RANK_ONLY:
            result = run(config, profile, progress=progress and main)
            arrays = result.pop("arrays", None)  # images and the like go to <experiment>.npz beside the JSON
            if arrays:
                save_arrays(experiment, profile, arrays)
            save_result(experiment, profile, config, result, device=str(default_device()),
                        wall_time_s=time.perf_counter() - start, git=commit, restored=restored_work())
    distributed.barrier()
    return load_result(experiment, profile)


def run_or_load(experiment: str, profile: str, recompute: str = "auto", progress: bool = True,
                **overrides) -> dict:
    """The stored ``{"manifest", "result"}`` of ``experiment`` for ``profile``.

    recompute: ``auto`` loads a stored result made with the same config and computes
    otherwise; ``always`` computes; ``never`` only loads, and fails if nothing matches.
    """
    check_choice("recompute", recompute, RECOMPUTE)
    config = get_config(experiment, profile, **overrides)
    if recompute != "always":
        stored = load_result(experiment, profile, config)
        if stored is not None:
            return stored
        if recompute == "never":
            raise FileNotFoundError(
                f"no stored result for {experiment!r} under profile {profile!r} with the current config "
                f"(looked at {result_path(profile, experiment)}). Compute it with "
                f"`make results PROFILE={profile}` or `python -m cgcore run {experiment} --profile {profile}`.")
    return run_experiment(experiment, profile, progress=progress, **overrides)


def run_or_load_each(experiments: dict[str, str], profile: str, recompute: str = "auto",
                     compute=None) -> tuple[dict[str, dict], list[str]]:
    """``{key: experiment}`` -> (``{key: stored}`` for those stored, one note per missing one).

    Only the key(s) ``compute`` (one key or a collection of keys) may be computed (with
    ``recompute``); the others are loaded if stored with the current config. The notes say
    how to compute what is missing."""
    computable = {compute} if isinstance(compute, str) else set(compute or ())
    found, missing = {}, []
    for key, experiment in experiments.items():
        try:
            found[key] = run_or_load(experiment, profile, recompute=recompute if key in computable else "never")
        except FileNotFoundError:
            missing.append(f"*{key}: `{experiment}` is not computed yet for the `{profile}` profile "
                           f"(`python -m cgcore run {experiment} --profile {profile}`).*")
    return found, missing
