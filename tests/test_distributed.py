"""torchrun: the same experiments on 2 gloo ranks store the same numbers as on one process.

The 2-rank runs are launched by the test through ``torch.distributed.run`` (torchrun's
module) on this machine's CPU, as a reader would launch them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from cgcore import distributed
from cgcore.distributed import World, shard


def test_without_torchrun_there_is_one_rank_and_nothing_is_wrapped():
    assert not distributed.launched_by_torchrun()
    assert distributed.world() == World(0, 1, 0) and distributed.is_main()
    model = nn.Linear(2, 2)
    assert distributed.for_training(model) is model
    t = torch.arange(6.0)
    assert distributed.gather_cat(t) is t
    assert distributed.sum_over_ranks(1.5, 2.0) == [1.5, 2.0]
    assert distributed.backend() == ("nccl" if torch.cuda.is_available() else "gloo")


@pytest.mark.parametrize("n, size", [(600, 2), (7, 3), (10, 4), (1, 1)])
def test_shards_cover_every_item_once_in_blocks_that_differ_by_at_most_one(n, size):
    blocks = [shard(n, World(r, size, r)) for r in range(size)]
    assert blocks[0][0] == 0 and blocks[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    lengths = [hi - lo for lo, hi in blocks]
    assert max(lengths) - min(lengths) <= 1


def _run(tmp_path, name: str, experiments: list[str], ranks: int) -> dict:
    """``python -m cgcore run <experiments> --profile smoke`` in its own store, on one
    process or under torchrun with ``ranks`` gloo ranks; returns the stored records."""
    root = tmp_path / name
    env = {**os.environ, "CGCORE_RESULTS": str(root / "results"), "CGCORE_CHECKPOINTS": str(root / "checkpoints"),
           "OMP_NUM_THREADS": "1"}
    env.pop("WORLD_SIZE", None)
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks)]
                if ranks > 1 else [sys.executable])
    done = subprocess.run([*launcher, "-m", "cgcore", "run", *experiments, "--profile", "smoke"],
                          env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 and "not found. Looked in" in done.stderr:
        pytest.skip("the data sets are not available")
    assert done.returncode == 0, done.stderr[-3000:]
    out = {}
    for e in experiments:
        out[e] = json.loads((root / "results" / "smoke" / f"{e}.json").read_text())
        arrays = root / "results" / "smoke" / f"{e}.npz"
        out[e]["arrays"] = dict(np.load(arrays)) if arrays.exists() else {}
    return out


def test_two_gloo_ranks_store_what_one_process_stores(tmp_path):
    experiments = ["taylornet_mnist7", "distillation_mnist"]
    one = _run(tmp_path, "one", experiments, 1)
    two = _run(tmp_path, "two", experiments, 2)
    for e in experiments:
        assert one[e]["manifest"]["world_size"] == 1
        assert two[e]["manifest"]["world_size"] == 2 and two[e]["manifest"]["backend"] == "gloo"
        assert one[e]["manifest"]["config"] == two[e]["manifest"]["config"]
    # Training. Both runs see the same global batches, augmented the same way, and DDP averages
    # the two halves' gradients, which is the gradient of the whole batch, except that on the
    # CPU (torch's SyncBatchNorm is CUDA-only) each rank's batch norm uses the statistics of
    # its half of the batch. That changes the trajectory a little: the tolerance is 3 points of
    # accuracy (the smoke test set has 256 images, so one image is 0.4 points) and 0.03 of loss.
    for variant, row in one["taylornet_mnist7"]["result"]["models"].items():
        other = two["taylornet_mnist7"]["result"]["models"][variant]
        assert row["params"] == other["params"]
        assert abs(row["test_acc"] - other["test_acc"]) <= 0.03
        assert np.allclose(row["history"]["train_loss"], other["history"]["train_loss"], atol=0.03)
    # Distillation. Each rank distils its block of the subsets with the same fresh networks;
    # the subsets are independent, so the gathered references are the one-process ones up to
    # the order of floating-point sums (chunks of subsets start at a different place): stored
    # as 8-bit pixels, they may differ by a rounding step, 2/255 at most.
    a, b = one["distillation_mnist"]["arrays"], two["distillation_mnist"]["arrays"]
    assert set(a) == set(b)
    for key in a:
        assert a[key].shape == b[key].shape
        assert np.abs(a[key].astype(int) - b[key].astype(int)).max() <= 2, key
    # the losses, gathered from the ranks' blocks, are the one-process losses
    for loss, levels in one["distillation_mnist"]["result"]["levels"].items():
        for mine, theirs in zip(levels, two["distillation_mnist"]["result"]["levels"][loss]):
            for key in ("loss_first", "loss_last"):
                assert mine[key] == pytest.approx(theirs[key], rel=1e-3, abs=1e-3), (loss, mine["level"], key)
    # Resume under torchrun: run again in the same store, every rank loads rank 0's checkpoints
    # (each finished epoch and level) and the stored numbers come out the same
    again = _run(tmp_path, "two", experiments, 2)
    assert again["distillation_mnist"]["result"]["reference_acc"] == two["distillation_mnist"]["result"]["reference_acc"]
    for key in two["distillation_mnist"]["arrays"]:
        assert np.array_equal(again["distillation_mnist"]["arrays"][key], two["distillation_mnist"]["arrays"][key])
    for variant, row in two["taylornet_mnist7"]["result"]["models"].items():
        assert again["taylornet_mnist7"]["result"]["models"][variant]["history"]["test_acc"] == row["history"]["test_acc"]


def test_the_sharding_bench_launches_torchrun_and_gets_the_same_references(run_smoke):
    from cgcore.experiments import EXPERIMENTS, MAIN_RANK_ONLY
    from cgcore.profiles import get_config

    assert "distill_shard_bench" in MAIN_RANK_ONLY   # it launches the ranks itself
    stored = run_smoke("distill_shard_bench")
    result, config = stored["result"], get_config("distill_shard_bench", "smoke")
    assert set(result["runs"]) == {str(n) for n in config["world_sizes"]}
    assert result["runs"]["2"]["world_size"] == 2 and result["runs"]["2"]["threads"] == 1
    assert result["runs"]["1"]["speedup"] == 1.0 and result["runs"]["2"]["seconds"] > 0
    # the same subsets with the same networks: float rounding apart, the same references
    assert result["runs"]["2"]["max_abs_difference"] < 1e-4
    claim = EXPERIMENTS["distill_shard_bench"][1](result)["distill_torchrun_speedup"]
    assert claim == result["runs"]["2"]["speedup"]
