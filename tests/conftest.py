import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cgcore.data import DataNotFoundError, load_dataset

ROOT = Path(__file__).resolve().parents[1]


def load_or_skip(*args, **kwargs):
    """``load_dataset(*args, **kwargs)``; skips the test with the reason when the data is
    unavailable (and fails under CI, where the data must be there)."""
    try:
        return load_dataset(*args, **kwargs)
    except DataNotFoundError as err:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def mnist7():
    """Real 7x7 MNIST (train, test)."""
    return load_or_skip("mnist7", "train", antialias=True), load_or_skip("mnist7", "test", antialias=True)


@pytest.fixture(scope="session")
def mnist_pixels():
    """200 real MNIST training images (20 per class, standardised) and their labels."""
    train = load_or_skip("mnist", "train").subset(200, seed=0)
    return (train.images - 0.1307) / 0.3081, train.labels


@pytest.fixture(scope="session")
def mnist28():
    """300 real 28x28 MNIST training images in [0, 1] (30 per class) and their labels."""
    train = load_or_skip("mnist", "train").subset(300, seed=0)
    return train.images, train.labels


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A private results and checkpoints store for the test (returns its root)."""
    monkeypatch.setenv("CGCORE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("CGCORE_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return tmp_path


@pytest.fixture
def results_store(store):
    """The results folder of :func:`store`."""
    return store / "results"


def _smoke_run_or_skip(name):
    """The experiment computed under the smoke profile in the current store; skipped when
    the data is missing (failed under CI)."""
    from cgcore.experiments import run_experiment

    try:
        return run_experiment(name, "smoke", progress=False)
    except DataNotFoundError as err:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))


@pytest.fixture
def run_smoke(store):
    """``run_smoke(name)``: the experiment computed under the smoke profile in the test's
    own store; skipped when the data is missing (failed under CI)."""
    return _smoke_run_or_skip


@pytest.fixture(scope="session")
def _shared_smoke_stores():
    return {}


@pytest.fixture
def shared_smoke(store, _shared_smoke_stores, tmp_path_factory):
    """``shared_smoke(name)``: as ``run_smoke(name)``, but computed once per test session
    and its results and checkpoints copied into the test's own store, which is then as if
    the test had run it (for runs that several tests read and none changes)."""
    from cgcore.results import load_result

    def run(name):
        if name not in _shared_smoke_stores:
            root = tmp_path_factory.mktemp(f"shared-{name}")
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("CGCORE_RESULTS", str(root / "results"))
                patch.setenv("CGCORE_CHECKPOINTS", str(root / "checkpoints"))
                _smoke_run_or_skip(name)
            _shared_smoke_stores[name] = root
        for part in ("results", "checkpoints"):
            shutil.copytree(_shared_smoke_stores[name] / part, store / part, dirs_exist_ok=True)
        return load_result(name, "smoke")
    return run


@pytest.fixture
def papermill(tmp_path):
    """``papermill(notebook, *params)``: the notebook executed by papermill into the
    test's folder (``out.ipynb``), as a finished subprocess."""
    def run(notebook, *params):
        cmd = [sys.executable, "-m", "papermill", str(ROOT / notebook), str(tmp_path / "out.ipynb"),
               "--cwd", str(ROOT / Path(notebook).parent), *params]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return run
