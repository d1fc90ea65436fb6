"""Running under ``torchrun``: one process (rank) per device, on one machine or several.

``torchrun --nproc_per_node N -m cgcore run <experiment> --profile <profile>`` starts N
ranks; :func:`setup` joins them in a process group (NCCL on CUDA, gloo on the CPU) and,
on CUDA, gives each rank its own GPU. Without torchrun there is one rank and nothing here
does anything: no process group, ``world()`` is ``World(0, 1, 0)``.

What is split across ranks, and how (the rest of cgcore only asks this module):

* **training** (:func:`cgcore.train.fit`): every rank draws the same global batch, from the
  same seeded order and augmentation, and trains on its share of it (rank r takes every
  N-th image); ``DistributedDataParallel`` averages the gradients. The global batch and
  the learning-rate schedule are the profile's, whatever N is.
* **distillation** (:func:`cgcore.distill.distill_level`): the subsets of a level are
  independent, so each rank distils a contiguous block of them, drawing the same fresh
  networks (seeded by iteration) as every other rank, and the references are gathered.
* everything else (evaluation, measurements, benchmarks) runs whole on every rank, or on
  rank 0 alone for the benchmarks; **only rank 0 writes** results and checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class World:
    rank: int
    size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """True in a process that torchrun (or another launcher setting ``WORLD_SIZE``) started
    as one of several ranks."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def backend() -> str:
    """NCCL where CUDA is, gloo on the CPU."""
    return "nccl" if torch.cuda.is_available() else "gloo"


def setup() -> World:
    """Join the process group torchrun describes in the environment (once); a no-op
    without torchrun."""
    if launched_by_torchrun() and not dist.is_initialized():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend())
    return world()


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def world() -> World:
    if not dist.is_initialized():
        return World(0, 1, 0)
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def is_main() -> bool:
    return world().is_main


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def shard(n: int, w: World | None = None) -> tuple[int, int]:
    """The contiguous block [lo, hi) of ``n`` items that rank ``w.rank`` works on (blocks
    differ in size by at most one)."""
    w = w or world()
    return w.rank * n // w.size, (w.rank + 1) * n // w.size


def gather_cat(tensor: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Every rank's ``tensor`` (on the CPU, sizes along ``dim`` may differ), concatenated
    in rank order on every rank."""
    if not dist.is_initialized():
        return tensor
    parts = [None] * dist.get_world_size()
    dist.all_gather_object(parts, tensor.detach().cpu())
    return torch.cat(parts, dim=dim)


def sum_over_ranks(*values: float) -> list[float]:
    """The sums over ranks of a few numbers (e.g. correct counts), on every rank."""
    if not dist.is_initialized():
        return list(values)
    device = torch.device("cuda", torch.cuda.current_device()) if backend() == "nccl" else torch.device("cpu")
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.cpu().tolist()


def for_training(model: nn.Module) -> nn.Module:
    """``model`` as the training loop should call it: itself with one rank, wrapped in
    DistributedDataParallel with several (on CUDA with synchronised batch norm, so the
    statistics are those of the global batch; torch's SyncBatchNorm is CUDA-only, so on the
    CPU each rank normalises with the statistics of its own share of the batch)."""
    w = world()
    if w.size == 1:
        return model
    if torch.cuda.is_available():
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return nn.parallel.DistributedDataParallel(model, device_ids=[w.local_rank])
    return nn.parallel.DistributedDataParallel(model)
