"""Training and evaluation on in-memory tensors, with tqdm progress and resumable checkpoints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from . import distributed
from .checks import check_choice
from .data import TensorData
from .results import load_checkpoint, note_restored_seconds, save_atomic

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("onecycle", "cosine", "constant", "halfway_step")
PRECISIONS = ("float32", "bfloat16")
# "cross_entropy" (softmax); "multi_margin" (the multi-class hinge of Weston and Watkins,
# torch's multi_margin_loss: the loss a support-vector machine minimises, without its norm penalty)
LOSSES = ("cross_entropy", "multi_margin")


def default_device() -> torch.device:
    """CUDA when present, otherwise the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)


def autocast(precision: str, device: torch.device):
    """The context a forward pass runs in: ``"float32"`` is plain float32 (no autocast);
    ``"bfloat16"`` runs convolutions and matrix products in bfloat16 under
    ``torch.autocast`` (the CPU's AVX-512 BF16 or a GPU's tensor cores), keeping
    reductions and normalisations in float32."""
    check_choice("precision", precision, PRECISIONS)
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")


def memory_format(channels_last: bool) -> torch.memory_format:
    """NHWC (``channels_last``) or the default NCHW layout of 4-d activations."""
    return torch.channels_last if channels_last else torch.contiguous_format


@dataclass
class TrainConfig:
    epochs: int
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    nesterov: bool = True          # SGD only
    schedule: str = "onecycle"     # "halfway_step": constant, x0.1 after half the epochs (Ref. 63)
    label_smoothing: float = 0.0
    loss: str = "cross_entropy"
    precision: str = "float32"     # or "bfloat16" (autocast, see :func:`autocast`)
    channels_last: bool = False
    # 0: the network trained is the one returned. Otherwise an exponential moving average
    # of its weights and batch-norm statistics, ``avg = decay * avg + (1 - decay) * w`` after
    # every step, is what each epoch evaluates and what ``fit`` returns (see :func:`fit`).
    ema_decay: float = 0.0
    seed: int = 0

    def __post_init__(self):
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_choice("precision", self.precision, PRECISIONS)
        check_choice("loss", self.loss, LOSSES)
        if self.loss != "cross_entropy" and self.label_smoothing:
            raise ValueError(f"label_smoothing applies to the cross_entropy loss only, got {self.label_smoothing} "
                             f"with loss {self.loss!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (0 = no averaging), got {self.ema_decay}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}")


@dataclass
class History:
    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    # with weight averaging (TrainConfig.ema_decay), test_acc is the averaged network's and
    # this the accuracy of the weights trained, measured on the same images after each epoch
    raw_test_acc: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def training_loss(logits: torch.Tensor, labels: torch.Tensor, cfg: TrainConfig) -> torch.Tensor:
    """The mean loss of a batch under ``cfg.loss``."""
    if cfg.loss == "multi_margin":
        return F.multi_margin_loss(logits, labels)
    return F.cross_entropy(logits, labels, label_smoothing=cfg.label_smoothing)


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum,
                               weight_decay=cfg.weight_decay, nesterov=cfg.nesterov)
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def make_scheduler(opt, cfg: TrainConfig, steps_per_epoch: int):
    total = cfg.epochs * steps_per_epoch
    if cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    if cfg.schedule == "halfway_step":
        halfway = (cfg.epochs // 2) * steps_per_epoch
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 if step < halfway else 0.1)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 512, precision: str = "float32",
            flip_tta: bool = False, augment: Callable | None = None, draws: int = 0) -> torch.Tensor:
    """Logits for ``images``, batch by batch, in eval mode. Test-time augmentation:
    ``flip_tta`` averages the logits of each image and its left-right mirror; ``draws`` > 0
    averages them over the image and ``draws`` copies transformed by ``augment(x, generator=g)``,
    each drawn from a generator seeded by (draw, batch), so the same images give the same logits."""
    if draws and augment is None:
        raise ValueError(f"draws={draws} needs an augment to draw the test-time copies with")
    if draws and flip_tta:
        raise ValueError("flip_tta and draws are two test-time augmentations: choose one")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    with autocast(precision, device):
        for i in range(0, len(images), batch_size):
            x = images[i:i + batch_size].to(device)
            logits = model(x).float()
            if flip_tta:
                logits = (logits + model(x.flip(-1)).float()) / 2
            for d in range(draws):
                g = torch.Generator().manual_seed(1_000_003 * (d + 1) + i)
                logits = logits + (model(augment(x, generator=g)).float() - logits) / (d + 2)   # running mean
            out.append(logits.cpu())
    model.train(was_training)
    return torch.cat(out)


def accuracy(model: nn.Module, data: TensorData, batch_size: int = 512, precision: str = "float32",
             flip_tta: bool = False, augment: Callable | None = None, draws: int = 0) -> float:
    logits = predict(model, data.images, batch_size, precision, flip_tta, augment, draws)
    return (logits.argmax(1) == data.labels).float().mean().item()


def fit(model: nn.Module, train: TensorData, test: TensorData | None, cfg: TrainConfig, *,
        checkpoint: Path | None = None, augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        desc: str = "train", progress: bool = True) -> History:
    """Minimise ``cfg.loss`` (cross-entropy by default) on ``train``; test accuracy after every
    epoch (NaN without ``test``).

    With ``checkpoint`` set, model, optimiser, scheduler and history are saved after each
    epoch, and a later call with the same path resumes from the last completed epoch.
    With ``cfg.ema_decay`` set, an exponential moving average of the weights and batch-norm
    statistics (torch's ``AveragedModel``) is updated after every step; each epoch's
    ``test_acc`` is the averaged network's (``raw_test_acc`` the trained weights'), and on
    return ``model`` holds the averaged weights.

    Batches come from a generator seeded by (seed, epoch), and ``augment(x, generator=g)``
    gets a generator seeded by (seed, epoch, step), so a resumed run sees the same batches,
    augmented the same way, as an uninterrupted one.

    Under torchrun (:mod:`cgcore.distributed`) every rank draws and augments the same global
    batch and trains on its share of it (every N-th image), with the gradients averaged
    by DistributedDataParallel; the training numbers are summed over the ranks, and only
    rank 0 writes the checkpoint.
    """
    device = next(model.parameters()).device
    w = distributed.world()
    step_model = distributed.for_training(model)
    fmt = memory_format(cfg.channels_last)
    model.to(memory_format=fmt)
    steps = (len(train) + cfg.batch_size - 1) // cfg.batch_size
    opt = make_optimizer(model.parameters(), cfg)
    sched = make_scheduler(opt, cfg, steps)
    history, start_epoch = History(), 0
    averaged = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True)
                if cfg.ema_decay else None)
    if checkpoint is not None and checkpoint.exists():
        state = load_checkpoint(checkpoint, map_location=device)
        model.load_state_dict(state["model"])
        if averaged is not None:
            averaged.load_state_dict(state["averaged"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        history = History(**state["history"])
        start_epoch = state["epoch"]
        note_restored_seconds(sum(history.seconds))
        # the global generators, for anything in the model that draws from them (dropout)
        if "rng" in state:
            torch.set_rng_state(state["rng"].cpu())
        if "cuda_rng" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda_rng"]])

    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(cfg.seed * 1000 + epoch))
        loss_sum, correct = 0.0, 0
        bar = tqdm(range(steps), desc=f"{desc} epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                   leave=False, mininterval=2.0)
        for step in bar:
            idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            x, y = train.images[idx].to(device), train.labels[idx].to(device)
            if augment is not None:
                # a draw that depends only on (seed, epoch, step): a resumed run augments
                # exactly as an uninterrupted one
                x = augment(x, generator=torch.Generator().manual_seed(
                    cfg.seed * 1_000_003 + epoch * 100_003 + step))
            if w.size > 1:
                x, y = x[w.rank::w.size], y[w.rank::w.size]
            with autocast(cfg.precision, device):
                logits = step_model(x.contiguous(memory_format=fmt))
                loss = training_loss(logits.float(), y, cfg)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite loss {loss.item()} at epoch {epoch + 1}, step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if averaged is not None:
                averaged.update_parameters(model)
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        loss_sum, correct = distributed.sum_over_ranks(loss_sum, correct)
        history.epoch.append(epoch + 1)
        history.train_loss.append(loss_sum / len(train))
        history.train_acc.append(correct / len(train))
        evaluated = model if averaged is None else averaged.module
        history.test_acc.append(accuracy(evaluated, test, precision=cfg.precision) if test is not None
                                else float("nan"))
        if averaged is not None:
            history.raw_test_acc.append(accuracy(model, test, precision=cfg.precision) if test is not None
                                        else float("nan"))
        history.seconds.append(time.perf_counter() - t0)
        if progress:
            tqdm.write(f"{desc} epoch {epoch + 1}/{cfg.epochs}: loss {history.train_loss[-1]:.4f} "
                       f"train {history.train_acc[-1]:.4f} test {history.test_acc[-1]:.4f} "
                       f"({history.seconds[-1]:.0f}s)")
        if checkpoint is not None:
            save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(),
                          "scheduler": sched.state_dict(), "history": history.as_dict(),
                          "epoch": epoch + 1, "rng": torch.get_rng_state(),
                          **({"averaged": averaged.state_dict()} if averaged is not None else {}),
                          **({"cuda_rng": torch.cuda.get_rng_state_all()} if torch.cuda.is_available() else {})},
                         checkpoint)
    if averaged is not None:
        model.load_state_dict(averaged.module.state_dict())
    return history
