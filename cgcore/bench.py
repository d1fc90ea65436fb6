"""Benchmarks: time and peak memory of cgcore's kernels against well-known baselines.

Peak memory is measured in a fresh child process (``multiprocessing`` spawn): the
child warms up, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), runs
the workload once, and reports ``VmHWM`` minus the resident size before the run. That
counts torch's and numpy's allocations alike, which ``tracemalloc`` would not. On a
system without ``/proc`` the memory columns are None.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import numpy as np

TAYLOR_BENCH = "taylor_features_bench"


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _taylor_workload(method: str, x: np.ndarray, order: int):
    if method == "sklearn":
        from sklearn.preprocessing import PolynomialFeatures

        return lambda: PolynomialFeatures(degree=order).fit_transform(x)
    import torch

    from .taylor import TaylorFeatures

    features = TaylorFeatures(x.shape[1], order)
    tensor = torch.from_numpy(x.astype(np.float32 if method == "cgcore_float32" else np.float64))
    return lambda: features(tensor)


def _peak_child(method: str, x: np.ndarray, order: int, queue) -> None:
    import torch

    torch.set_num_threads(1)
    work = _taylor_workload(method, x, order)
    work()  # warm-up: imports, first allocations
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        queue.put(None)
        return
    before = _status_kib("VmRSS")
    work()
    peak = _status_kib("VmHWM")
    queue.put(None if before is None or peak is None else (peak - before) / 1024)


def peak_memory_mib(method: str, x: np.ndarray, order: int) -> float | None:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_child, args=(method, x, order, queue))
    proc.start()
    value = queue.get(timeout=600)
    proc.join()
    return value


def median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run_taylor_features(config: dict, profile: str, progress: bool = True) -> dict:
    """cgcore's Taylor features against scikit-learn's PolynomialFeatures on one batch.

    Both produce all monomials up to ``order`` (scikit-learn also the constant column);
    the timed comparison is float64 against float64, with cgcore's float32 (what
    training uses) alongside. The outputs are checked to hold the same numbers.
    """
    import torch

    rng = np.random.default_rng(config["seed"])
    x = rng.random((config["batch_size"], config["n_vars"]))
    order = config["order"]
    methods = ("sklearn", "cgcore_float64", "cgcore_float32")
    seconds, memory = {}, {}
    for method in methods:
        seconds[method] = median_seconds(_taylor_workload(method, x, order), config["repeats"])
        memory[method] = peak_memory_mib(method, x, order)
        if progress:
            print(f"{method}: {seconds[method] * 1e3:.1f} ms, peak {memory[method]} MiB", flush=True)
    ours = _taylor_workload("cgcore_float64", x, order)().numpy()
    theirs = _taylor_workload("sklearn", x, order)()[:, 1:]
    same = bool(np.allclose(np.sort(ours, axis=1), np.sort(theirs, axis=1)))
    return {
        "seconds": seconds,
        "peak_mib": memory,
        "speedup_vs_sklearn": seconds["sklearn"] / seconds["cgcore_float64"],
        "memory_ratio_vs_sklearn": (memory["sklearn"] / memory["cgcore_float64"]
                                    if memory["sklearn"] and memory["cgcore_float64"] else None),
        "outputs_match": same,
        "n_features": int(theirs.shape[1] + 1),
        "torch_threads": torch.get_num_threads(),
    }


def claims_taylor_features(result: dict) -> dict[str, float]:
    return {"taylor_features_speedup": result["speedup_vs_sklearn"]}
