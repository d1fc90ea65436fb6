"""The results store: ``results/<profile>/<experiment>.json``, each with its manifest.

A result file holds ``{"manifest": {...}, "result": {...}}``. The manifest says what
produced the numbers: experiment, profile, full config, seed, git commit, package
versions, device, wall time and date. Files are written atomically (temp file, then
rename), so an interrupted run never leaves a half-written result.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import sys
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import distributed

_REPO = Path(__file__).resolve().parents[1]


def results_root() -> Path:
    return Path(os.environ.get("CGCORE_RESULTS", _REPO / "results")).expanduser()


def checkpoints_root() -> Path:
    return Path(os.environ.get("CGCORE_CHECKPOINTS", _REPO / "checkpoints")).expanduser()


def result_path(profile: str, experiment: str) -> Path:
    return results_root() / profile / f"{experiment}.json"


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(normalise_config(config), sort_keys=True).encode()).hexdigest()[:10]


def checkpoint_dir(profile: str, experiment: str, config: dict) -> Path:
    """Where a run keeps its checkpoints; a changed config gets a fresh folder."""
    path = checkpoints_root() / profile / f"{experiment}-{config_hash(config)}"
    path.mkdir(parents=True, exist_ok=True)
    return path


class RunLockedError(RuntimeError):
    """Another process is computing the same experiment and profile."""


@contextlib.contextmanager
def run_lock(profile: str, experiment: str):
    """Hold ``checkpoints/<profile>/<experiment>.lock`` while a run computes, so that a
    second run of the same experiment and profile stops at once with a clear message
    instead of writing the same checkpoints and result. A lock left by a process that no
    longer exists (killed) is taken over."""
    path = checkpoints_root() / profile / f"{experiment}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                holder = int(path.read_text().strip() or 0)
            except (OSError, ValueError):
                holder = 0
            if holder and _process_alive(holder):
                raise RunLockedError(
                    f"{experiment!r} under profile {profile!r} is already being computed by process {holder} "
                    f"(lock file {path}). Wait for it to finish; a later run resumes from its checkpoints. "
                    f"If no such run exists, delete the lock file.") from None
            path.unlink(missing_ok=True)          # stale: its process is gone
    else:  # pragma: no cover - a race lost twice
        raise RunLockedError(f"could not take the lock {path}")
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Work this process did not do because a checkpoint held it: what a resumed run's manifest
# adds to its own wall time for the full cost (run_experiment resets it before a run).
_RESTORED = {"checkpoints": 0, "seconds": 0.0, "without_seconds": 0}


def reset_restored_work() -> None:
    _RESTORED.update(checkpoints=0, seconds=0.0, without_seconds=0)


def note_restored_seconds(seconds: float | None) -> None:
    """Add the compute time (s) an earlier process spent on what a loaded checkpoint holds,
    where the checkpoint records it (training epochs, distillation levels); None counts a
    checkpoint written before it recorded its time (its cost is unknown)."""
    if seconds is None:
        _RESTORED["without_seconds"] += 1
    else:
        _RESTORED["seconds"] += float(seconds)


@contextlib.contextmanager
def another_runs_checkpoints():
    """Checkpoints loaded inside are what another experiment computed and stores (a trained
    backbone or TaylorNet this run analyses), not work this run resumed: not counted. (Where
    that checkpoint is missing, the caller trains it in its own wall time, and the owner's
    later run counts the same work again as restored: the budget then counts it twice.)"""
    saved = dict(_RESTORED)
    try:
        yield
    finally:
        _RESTORED.update(saved)


def restored_work() -> dict:
    """Checkpoints loaded since the last reset, the seconds of work they recorded, and how
    many of them recorded none."""
    return {"checkpoints": _RESTORED["checkpoints"], "seconds": round(_RESTORED["seconds"], 2),
            "without_seconds": _RESTORED["without_seconds"]}


def load_checkpoint(path: Path, **kwargs):
    """``torch.load`` with a clear error for a damaged file (e.g. a run killed by an old
    version while writing, or a disk that filled up): it names the file and what to do.
    Every load is counted as restored work (:func:`restored_work`)."""
    import pickle

    import torch

    try:
        state = torch.load(path, weights_only=False, **kwargs)
        _RESTORED["checkpoints"] += 1
        return state
    except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError) as err:
        raise RuntimeError(
            f"checkpoint {path} is damaged and cannot be read ({type(err).__name__}: {str(err)[:120]}). "
            f"Delete it (or its folder) and run again: the run restarts that stage from scratch.") from err


def save_atomic(obj, path: Path) -> None:
    """``torch.save`` through a temporary file, so a checkpoint is never half-written."""
    import torch

    write_atomic(path, lambda tmp: torch.save(obj, tmp))


def stored_or_computed(path: Path, compute) -> dict:
    """``compute()``'s dict with the ``seconds`` it took, kept at ``path``; or, when an earlier
    run kept it there, that dict, its seconds counted as restored work (None when it was
    written before the time was kept)."""
    if path.exists():
        row = load_checkpoint(path)
        note_restored_seconds(row.get("seconds"))
        return row
    start = time.perf_counter()
    row = {**compute(), "seconds": time.perf_counter() - start}
    save_atomic(row, path)
    return row


def to_jsonable(obj: Any) -> Any:
    """Numpy and torch values to plain JSON types (arrays become nested lists)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "detach"):  # torch tensor
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def normalise_config(config: dict) -> dict:
    """The config as it reads back from JSON, so stored and fresh configs compare equal, less
    any setting at its value in :data:`cgcore.profiles.SETTING_DEFAULTS` (it and its base's):
    a setting added after a run was stored, stated at the value the run had, is the same run."""
    from .profiles import SETTING_DEFAULTS

    out = json.loads(json.dumps(to_jsonable(config), sort_keys=True))
    for settings in (out, out.get("base")):
        if isinstance(settings, dict):
            for key, value in SETTING_DEFAULTS.items():
                if key in settings and settings[key] == value:
                    del settings[key]
    return out


def git_commit() -> dict:
    def git(*args):
        run = subprocess.run(["git", *args], cwd=_REPO, capture_output=True, text=True, timeout=10)
        return run.stdout.strip() if run.returncode == 0 else ""
    try:
        # "dirty" means uncommitted changes to the code; the results store itself is output.
        return {"commit": git("rev-parse", "HEAD") or None,
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                                  ":(exclude)results"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in ("cgcore", "torch", "torchvision", "numpy", "scikit-learn"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _cpuinfo_field(prefixes: tuple[str, ...], cpuinfo: str | None = None) -> str | None:
    """The value of the first line of /proc/cpuinfo (or of the text ``cpuinfo``) that starts
    with one of ``prefixes``; None where there is no such line or no such file."""
    try:
        text = Path("/proc/cpuinfo").read_text() if cpuinfo is None else cpuinfo
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith(prefixes)), None)


def cpu_name() -> str:
    return _cpuinfo_field(("model name",)) or platform.processor() or platform.machine()


# x86's names for them, and Arm's
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


def cpu_bf16_flags(cpuinfo: str | None = None) -> list[str] | None:
    """Which of the CPU's bfloat16 instructions (:data:`BF16_CPU_FLAGS`) /proc/cpuinfo (or the
    text ``cpuinfo``) lists in its ``flags`` (x86) or ``Features`` (Arm) line: without them
    PyTorch emulates bfloat16 (None where the OS does not tell)."""
    flags = _cpuinfo_field(("flags", "Features"), cpuinfo)
    return None if flags is None else [f for f in BF16_CPU_FLAGS if f in flags.split()]


def peak_rss_mib() -> float | None:
    """The largest resident memory this process has had, in MiB (None where the OS does
    not tell). A run's manifest records it at the end of the run."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kib / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def make_manifest(experiment: str, profile: str, config: dict, device: str,
                  wall_time_s: float, git: dict | None = None, restored: dict | None = None) -> dict:
    import torch

    return {
        "experiment": experiment,
        "profile": profile,
        "config": normalise_config(config),
        "seed": config.get("seed"),
        "git": git if git is not None else git_commit(),
        "versions": package_versions(),
        "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else cpu_name(),
        "threads": torch.get_num_threads(),
        # without these instructions bfloat16 autocast is emulated (slower than float32 on some CPUs)
        "cpu_bf16": None if device.startswith("cuda") else cpu_bf16_flags(),
        # processes the run was spread over (torchrun), and how they talked
        "world_size": distributed.world().size,
        **({"backend": distributed.backend()} if distributed.world().size > 1 else {}),
        "wall_time_s": round(wall_time_s, 2),
        # a resumed run: the checkpoints it read and the seconds of work they recorded
        "restored": restored if restored is not None else {"checkpoints": 0, "seconds": 0.0, "without_seconds": 0},
        "peak_rss_mib": peak_rss_mib(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def write_atomic(path: Path, write) -> None:
    """Call ``write(temporary_path)``, then move the file onto ``path``: a reader sees the
    old file or the new one, never half of it (an interrupted run leaves no partial file).
    Under torchrun only rank 0 writes (the others computed the same thing)."""
    if not distributed.is_main():
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, payload: dict) -> None:
    text = json.dumps(to_jsonable(payload), indent=1, sort_keys=False) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text))


def save_result(experiment: str, profile: str, config: dict, result: dict, *,
                device: str, wall_time_s: float, git: dict | None = None, restored: dict | None = None) -> Path:
    """Store ``result``; ``git`` is the commit the run started from (default: the current one),
    ``restored`` the work read from checkpoints (:func:`restored_work`)."""
    path = result_path(profile, experiment)
    manifest = make_manifest(experiment, profile, config, device, wall_time_s, git, restored)
    write_json_atomic(path, {"manifest": manifest, "result": result})
    return path


def arrays_path(profile: str, experiment: str) -> Path:
    return results_root() / profile / f"{experiment}.npz"


def save_arrays(experiment: str, profile: str, arrays: dict) -> Path:
    """Small arrays beside a result (e.g. distilled images as uint8), written atomically."""
    path = arrays_path(profile, experiment)
    write_atomic(path, lambda tmp: np.savez_compressed(tmp, **{k: np.asarray(v) for k, v in arrays.items()}))
    return path


def load_arrays(experiment: str, profile: str) -> dict[str, np.ndarray]:
    path = arrays_path(profile, experiment)
    if not path.exists():
        raise FileNotFoundError(f"no stored arrays for {experiment!r} under profile {profile!r} ({path})")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def trained_epochs(run: dict) -> int:
    """How many epochs a stored run (a dict with :func:`cgcore.train.fit`'s ``history``)
    trained for."""
    return len(run["history"]["epoch"])


def load_result(experiment: str, profile: str, config: dict | None = None) -> dict | None:
    """The stored ``{"manifest", "result"}``, or None when missing or made with another config."""
    path = result_path(profile, experiment)
    if not path.exists():
        return None
    with open(path) as f:
        stored = json.load(f)
    if config is not None and normalise_config(stored["manifest"]["config"]) != normalise_config(config):
        return None
    return stored
