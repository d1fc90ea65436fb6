"""Resume is exact: a run killed with SIGKILL and started again ends bit-identical to an
uninterrupted run.

Each run is a child process (one torch thread, the same in every child). A hook in the
child prints a line and then blocks at a chosen step, so the parent kills it at a known
point: after a checkpoint was written and after some work that no checkpoint holds. The
resumed child is a fresh process, so its global RNG is wherever a fresh process leaves it:
anything that the checkpoint does not restore and that the run draws from shows up as a
difference in the final weights.
"""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch


ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180          # seconds for one child, a safety net only

# argv: data file, checkpoint ("" for none), output file, step to block at (0: never),
# decay of the weights' moving average (0: none)
FIT_CHILD = r"""
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
from cgcore.data import TensorData, affine_then_resize
from cgcore.models import taylornet_mnist7
from cgcore.train import TrainConfig, fit

data_path, ckpt, out, stop_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ema_decay = float(sys.argv[5])
images, labels = torch.load(data_path)
train = TensorData(images, labels, "mnist")
calls = 0

def augment(x, generator):
    global calls
    calls += 1
    if calls == stop_at:
        print("waiting", flush=True)
        sys.stdin.readline()                # blocks until the parent kills this process
    return affine_then_resize(x, size=7, antialias=True, max_shift=0.1, generator=generator)

torch.manual_seed(0)
# dropout draws from the global generator, which the checkpoint must carry as well
from collections import OrderedDict
layers = list(taylornet_mnist7().named_children())
model = torch.nn.Sequential(OrderedDict(layers[:-1] + [("dropout", torch.nn.Dropout(0.2)), layers[-1]]))
cfg = TrainConfig(epochs=3, batch_size=50, lr=3e-3, ema_decay=ema_decay)
history = fit(model, train, None, cfg, checkpoint=Path(ckpt) if ckpt else None,
              augment=augment, progress=False)
torch.save({"state": model.state_dict(), "history": history.as_dict()}, out)
print("done", flush=True)
"""

# argv: data file, checkpoint folder ("" for none), output file, distill_step call to block at (0: never)
DISTILL_CHILD = r"""
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
from cgcore import distill

data_path, ckpt, out, stop_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
images, labels = torch.load(data_path)
calls = 0
step = distill.distill_step

def counting_step(*args, **kwargs):
    global calls
    calls += 1
    if calls == stop_at:
        saved = sorted(p.name for p in Path(ckpt).glob("level*.pt"))
        print("waiting " + " ".join(saved), flush=True)
        sys.stdin.readline()                # blocks until the parent kills this process
    return step(*args, **kwargs)

distill.distill_step = counting_step
cfgs = [distill.DistillConfig(iterations=n, width=8, pool_size=None, lr=0.05) for n in (6, 8, 8)]
levels = distill.distill_hierarchy(images, labels, 10, (5, 2, 2), cfgs, checkpoint_dir=Path(ckpt) if ckpt else None,
                                   progress=False)
torch.save([{"references": r.references, "loss": r.loss} for r in levels], out)
print("done", flush=True)
"""


def _start(code: str, *args) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _watchdog(proc: subprocess.Popen) -> threading.Timer:
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.daemon = True
    timer.start()
    return timer


def run_to_end(code: str, *args) -> None:
    proc = _start(code, *args)
    timer = _watchdog(proc)
    try:
        out, err = proc.communicate()
    finally:
        timer.cancel()
    assert proc.returncode == 0 and out.strip().endswith("done"), f"child failed ({proc.returncode}):\n{err}"


def run_and_kill(code: str, *args) -> str:
    """Start a child that blocks at a chosen step, SIGKILL it there; returns its "waiting" line."""
    proc = _start(code, *args)
    timer = _watchdog(proc)
    try:
        line = proc.stdout.readline()
        if not line.startswith("waiting"):
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"child ended before the kill point (stdout {line!r}):\n{err}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    finally:
        timer.cancel()
    assert proc.returncode == -signal.SIGKILL
    return line.strip()


def assert_bit_identical(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f"not bit-identical after resume: {differ}"


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_fit_killed_twice_and_resumed_ends_bit_identical(mnist28, tmp_path, ema_decay):
    """taylornet_mnist7 (CG layers, BatchNorm) on 300 real images with the 7x7
    affine-then-resize augmentation, Adam and one-cycle schedule, 3 epochs of 6 steps:
    killed in epoch 2 (after the epoch-1 checkpoint and two updates that no checkpoint
    holds), resumed, killed again in epoch 3, resumed to the end; with and without a
    moving average of the weights (whose state the checkpoint must carry as well)."""
    data = tmp_path / "data.pt"
    torch.save(mnist28, data)
    steps = 300 // 50
    ckpt = tmp_path / "ckpt.pt"

    run_to_end(FIT_CHILD, data, "", tmp_path / "straight.pt", 0, ema_decay)

    run_and_kill(FIT_CHILD, data, ckpt, tmp_path / "unused.pt", steps + 3, ema_decay)        # before the 3rd update of epoch 2
    first = torch.load(ckpt, weights_only=False)
    assert first["epoch"] == 1
    run_and_kill(FIT_CHILD, data, ckpt, tmp_path / "unused.pt", steps + 2, ema_decay)        # resumed: before the 2nd update of epoch 3
    second = torch.load(ckpt, weights_only=False)
    assert second["epoch"] == 2
    assert not torch.equal(first["model"]["fc.weight"], second["model"]["fc.weight"])
    run_to_end(FIT_CHILD, data, ckpt, tmp_path / "resumed.pt", 0, ema_decay)
    assert not (tmp_path / "unused.pt").exists()

    straight = torch.load(tmp_path / "straight.pt", weights_only=False)
    resumed = torch.load(tmp_path / "resumed.pt", weights_only=False)
    assert_bit_identical(resumed["state"], straight["state"])
    assert not torch.equal(resumed["state"]["fc.weight"], second["model"]["fc.weight"])
    for key in ("epoch", "train_loss", "train_acc"):
        assert resumed["history"][key] == straight["history"][key], key
    if ema_decay:   # the run returns the averaged weights, not the trained ones
        assert not torch.equal(resumed["state"]["fc.weight"], second["averaged"]["module.fc.weight"])
        assert "averaged" in second and not torch.equal(resumed["state"]["fc.weight"], torch.load(
            ckpt, weights_only=False)["model"]["fc.weight"])


def test_distill_hierarchy_killed_twice_and_resumed_ends_bit_identical(mnist_pixels, tmp_path):
    """Three levels, group sizes (5, 2, 2), of 200 real MNIST images (20 per class), a
    fresh Fig. 8 network (width 8) at every iteration: killed in level 2 (after level1.pt),
    resumed, killed in level 3 (after level2.pt), resumed to the end."""
    data = tmp_path / "data.pt"
    torch.save(mnist_pixels, data)
    ckpt = tmp_path / "levels"

    run_to_end(DISTILL_CHILD, data, "", tmp_path / "straight.pt", 0)

    # distill_step runs once per iteration: levels of 6, 8 and 8 iterations
    assert run_and_kill(DISTILL_CHILD, data, ckpt, tmp_path / "unused.pt", 6 + 4) == "waiting level1.pt"
    level1 = torch.load(ckpt / "level1.pt", weights_only=False)
    assert run_and_kill(DISTILL_CHILD, data, ckpt, tmp_path / "unused.pt", 8 + 5) == "waiting level1.pt level2.pt"
    assert torch.equal(torch.load(ckpt / "level1.pt", weights_only=False)["references"], level1["references"])
    run_to_end(DISTILL_CHILD, data, ckpt, tmp_path / "resumed.pt", 0)
    assert not (tmp_path / "unused.pt").exists()

    straight = torch.load(tmp_path / "straight.pt", weights_only=False)
    resumed = torch.load(tmp_path / "resumed.pt", weights_only=False)
    assert [tuple(r["references"].shape[:2]) for r in resumed] == [(4, 10), (2, 10), (1, 10)]
    for k, (a, b) in enumerate(zip(resumed, straight), start=1):
        assert torch.equal(a["references"], b["references"]), f"level {k} references differ after resume"
        assert a["loss"] == b["loss"], f"level {k} losses differ after resume"


RERUN = """
import hashlib, torch
from cgcore.data import TensorData
from cgcore.taylor import TaylorExpansion
from cgcore.train import TrainConfig, fit, seed_everything
seed_everything(0)
g = torch.Generator().manual_seed(0)
data = TensorData(torch.rand(600, 1, 7, 7, generator=g), torch.randint(0, 10, (600,), generator=g), "toy")
model = TaylorExpansion(49, 3, expansion_point="mean")
model.fit_standardization(data.images)
fit(model, data, None, TrainConfig(epochs=2, batch_size=64, optimizer="adam", lr=1e-3, seed=0), progress=False)
import os
print(os.environ["MKL_CBWR"], hashlib.sha1(model.weight.detach().numpy().tobytes()).hexdigest())
"""


def test_a_rerun_in_a_fresh_process_gives_the_same_bits():
    """Issue of re-running, not resuming: two fresh processes train the same order-3
    expansion (the model whose accuracy once moved between machines) to the same bits,
    with MKL's reproducible mode that importing cgcore sets."""
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    runs = [subprocess.run([sys.executable, "-c", RERUN], capture_output=True, text=True, env=env, cwd=ROOT)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr[-1500:]
    first, second = (r.stdout.split() for r in runs)
    assert first[0] == "AUTO" and first == second
